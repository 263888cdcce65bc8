import { randomBytes } from 'node:crypto';
import { parseProxyConfig } from './proxy-config';

const API_KEY = randomBytes(24).toString('base64');
const base = {
  TSP_SERVICE_CONFIG_ID: 'sa-1',
  TSP_SA_ENCRYPTION_KEY: randomBytes(48).toString('base64'),
  TSP_SA_SIGNING_KEY: randomBytes(48).toString('base64'),
  TSP_BROKER_PUBLIC_KEY: 'MCowBQYDK2VwAyEA',
  TSP_CONFIG_URL: 'file:///tmp/config.json',
  API_KEY,
};

describe('TSP_WORKERS', () => {
  it('defaults to 0 (one worker per usable CPU, resolved in main.ts)', () => {
    expect(parseProxyConfig(base).workers).toBe(0);
  });

  it('accepts 1 to 64', () => {
    expect(parseProxyConfig({ ...base, TSP_WORKERS: '1' }).workers).toBe(1);
    expect(parseProxyConfig({ ...base, TSP_WORKERS: '64' }).workers).toBe(64);
  });

  it.each(['65', '-1', '1.5', 'two', ''])('refuses %p, naming the variable', (v) => {
    expect(() => parseProxyConfig({ ...base, TSP_WORKERS: v })).toThrow('TSP_WORKERS must be an integer from 0 to 64');
  });
});
