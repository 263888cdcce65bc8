import { assertNoProblems, Setting, settingsReader } from './settings';

const TABLE: readonly Setting<'dir' | 'port' | 'level'>[] = [
  { key: 'dir', env: 'X_DIR', type: 'string', doc: 'required' },
  { key: 'port', env: 'X_PORT', type: 'integer', default: 9001, min: 1, max: 65535, doc: 'port' },
  { key: 'level', env: 'X_LEVEL', type: 'string', default: 'info', enum: ['info', 'debug'], doc: 'level' },
];

test('defaults apply, integers parse within bounds', () => {
  const { values, problems } = settingsReader(TABLE)({ X_DIR: '/d', X_PORT: '8080' });
  expect(problems).toEqual([]);
  expect(values).toEqual({ dir: '/d', port: 8080, level: 'info' });
});

test('every problem names its variable, never its value', () => {
  const { problems } = settingsReader(TABLE)({ X_PORT: '70000', X_LEVEL: 'loud-secret', X_TYPO: 'v' });
  expect(problems).toEqual(
    expect.arrayContaining([
      'X_TYPO is not a known setting',
      expect.stringContaining('X_DIR is required'),
      expect.stringContaining('X_LEVEL must be one of'),
      'X_PORT must be an integer from 1 to 65535',
    ]),
  );
  expect(problems.join('\n')).not.toContain('loud-secret');
  expect(() => assertNoProblems(problems)).toThrow('Invalid configuration:');
});

test('requiredNonEmpty refuses an empty required string; extra variables are accepted and can be required', () => {
  expect(settingsReader(TABLE)({ X_DIR: '' }).problems).toEqual([]);
  expect(settingsReader(TABLE, { requiredNonEmpty: true })({ X_DIR: '' }).problems).toHaveLength(1);
  const withKey = settingsReader(TABLE, { extraProperties: { X_KEY: { type: 'string', minLength: 1 } }, extraRequired: ['X_KEY'] });
  expect(withKey({ X_DIR: '/d', X_KEY: 'k' }).problems).toEqual([]);
  expect(withKey({ X_DIR: '/d' }).problems).toEqual([expect.stringContaining('X_KEY is required')]);
});
