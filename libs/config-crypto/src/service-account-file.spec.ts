import { formatEnvFile, parseEnvFile } from './service-account-file';

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, skipping blank lines and # comments', () => {
    const text = ['# a comment', '', '  # indented comment', 'TSP_A=one', '  TSP_B = two  ', 'API_KEY=abc=='].join('\n');
    expect(parseEnvFile(text)).toEqual({ TSP_A: 'one', TSP_B: 'two', API_KEY: 'abc==' });
  });

  it('accepts CRLF line ends', () => {
    expect(parseEnvFile('A=1\r\nB=2\r\n')).toEqual({ A: '1', B: '2' });
  });

  it('strips one pair of matching double or single quotes', () => {
    expect(parseEnvFile('A="x y"\nB=\'z\'\nC="\nD="mixed\'')).toEqual({ A: 'x y', B: 'z', C: '"', D: '"mixed\'' });
  });

  it('keeps = signs inside the value and allows an empty value', () => {
    expect(parseEnvFile('K=a=b=c\nE=')).toEqual({ K: 'a=b=c', E: '' });
  });

  it('the last assignment of a key wins', () => {
    expect(parseEnvFile('A=1\nA=2')).toEqual({ A: '2' });
  });

  it('rejects a line without =, naming the line number', () => {
    expect(() => parseEnvFile('A=1\n# c\nJUSTTEXT')).toThrow('line 3: expected KEY=VALUE');
    expect(() => parseEnvFile('=value')).toThrow('line 1: expected KEY=VALUE');
  });

  it('rejects an invalid variable name, naming the line number and not the value', () => {
    let message = '';
    try {
      parseEnvFile('GOOD=1\nbad-name=not-to-be-echoed');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('line 2: invalid variable name');
    expect(() => parseEnvFile('1A=x')).toThrow('line 1: invalid variable name');
    expect(() => parseEnvFile('export A=x')).toThrow('line 1: invalid variable name');
  });

  it('reads back what formatEnvFile writes', () => {
    const entries = { TSP_SERVICE_CONFIG_ID: 'sa-1', TSP_SA_ENCRYPTION_KEY: 'MC4CAQAwBQYDK2VuBCIEIA==' };
    const text = formatEnvFile(entries, 'Service account sa-1\nKeep this file secret');
    expect(text.startsWith('# Service account sa-1\n# Keep this file secret\n')).toBe(true);
    expect(parseEnvFile(text)).toEqual(entries);
  });
});
