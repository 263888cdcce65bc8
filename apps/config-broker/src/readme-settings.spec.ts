import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from './broker-config';

/** The README is the operator's reference for the broker's settings. */
const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

test.each(SETTINGS.map((s) => [s.env, s.default] as const))('README documents %s with its default', (env, def) => {
  const row = readme.split('\n').find((l) => l.startsWith(`| \`${env}\``));
  expect(row).toBeDefined();
  expect(row).toContain(def === undefined ? 'required' : `\`${String(def)}\``);
});
