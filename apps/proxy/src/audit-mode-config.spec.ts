import { randomBytes } from 'node:crypto';
import { parseProxyConfig } from './proxy-config';

const base = {
  TSP_SERVICE_CONFIG_ID: 'sa-1',
  TSP_SA_ENCRYPTION_KEY: randomBytes(48).toString('base64'),
  TSP_SA_SIGNING_KEY: randomBytes(48).toString('base64'),
  TSP_BROKER_PUBLIC_KEY: 'MCowBQYDK2VwAyEA',
  TSP_CONFIG_URL: 'file:///tmp/config.json',
  API_KEY: randomBytes(24).toString('base64'),
};

function errorOf(vars: Record<string, string>): string {
  try {
    parseProxyConfig(vars);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected parseProxyConfig to fail');
}

describe('audit mode settings', () => {
  it('default to best effort with a 2000 ms strict timeout', () => {
    expect(parseProxyConfig(base)).toMatchObject({ auditMode: 'best-effort', auditStrictTimeoutMs: 2000 });
  });

  it('strict with a logdriver and a timeout', () => {
    const c = parseProxyConfig({ ...base, TSP_AUDIT_MODE: 'strict', LOGDRIVER_URL: 'http://127.0.0.1:9001', TSP_AUDIT_STRICT_TIMEOUT_MS: '750' });
    expect(c).toMatchObject({ auditMode: 'strict', auditStrictTimeoutMs: 750, logdriverUrl: 'http://127.0.0.1:9001' });
  });

  it('strict without LOGDRIVER_URL (unset or empty) names both variables', () => {
    for (const vars of [{ ...base, TSP_AUDIT_MODE: 'strict' }, { ...base, TSP_AUDIT_MODE: 'strict', LOGDRIVER_URL: '' }]) {
      expect(errorOf(vars)).toContain('TSP_AUDIT_MODE=strict requires LOGDRIVER_URL');
    }
  });

  it('rejects an unknown mode and a timeout out of range, naming the variable', () => {
    expect(errorOf({ ...base, TSP_AUDIT_MODE: 'paranoid' })).toContain('TSP_AUDIT_MODE');
    const msg = errorOf({ ...base, TSP_AUDIT_MODE: 'strict', LOGDRIVER_URL: 'http://127.0.0.1:9001', TSP_AUDIT_STRICT_TIMEOUT_MS: '0' });
    expect(msg).toContain('TSP_AUDIT_STRICT_TIMEOUT_MS must be an integer from 10 to 60000');
  });
});
