import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { azureMonitorSinkPlugin } from './azure-monitor-sink';

const SECRET = 'Qx8~super-secret-client-value';
const valid = (): LoggingSinkConfig & { settings: Record<string, unknown>; credentials: Record<string, unknown> } => ({
  id: 'am',
  type: 'azure-monitor',
  settings: {
    endpoint: 'https://my-dce-abcd.westeurope-1.ingest.monitor.azure.com',
    ruleId: 'dcr-00112233445566778899aabbccddeeff',
    streamName: 'Custom-TspEvents_CL',
  },
  credentials: { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '00000000-1111-2222-3333-444444444444', clientSecret: SECRET },
});
const problems = (c: LoggingSinkConfig): string[] => azureMonitorSinkPlugin.validate(c, { eventsDir: undefined });

describe('azure-monitor sink config', () => {
  it('accepts the required settings and credentials, and every optional setting', () => {
    expect(problems(valid())).toEqual([]);
    const c = valid();
    Object.assign(c.settings, {
      authorityHost: 'https://login.microsoftonline.us',
      audience: 'https://monitor.azure.us',
      caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
    expect(problems(c)).toEqual([]);
  });

  it.each([
    ['endpoint', undefined, /endpoint is required/],
    ['endpoint', 'http://dce.example.test', /endpoint must match pattern/],
    ['endpoint', 'https://user:pw@dce.example.test', /endpoint must match pattern/],
    ['ruleId', 'my-rule', /ruleId must match pattern/],
    ['ruleId', undefined, /ruleId is required/],
    ['streamName', 'TspEvents_CL', /streamName must match pattern/],
    ['streamName', undefined, /streamName is required/],
    ['authorityHost', 'http://127.0.0.1:1', /authorityHost must match pattern/],
    ['audience', 'https://monitor.example.test', /audience must be one of/],
    ['caCertificate', 'not a pem', /caCertificate must match pattern/],
  ])('names settings.%s when it is %p', (field, value, want) => {
    const c = valid();
    if (value === undefined) delete c.settings[field];
    else c.settings[field] = value;
    const got = problems(c);
    expect(got).toHaveLength(1);
    expect(got[0].startsWith(`logging.sinks[am].settings.${field} `)).toBe(true);
    expect(got[0]).toMatch(want);
  });

  it('names each missing credential, an unknown field, and never shows a value', () => {
    const c = valid();
    delete c.credentials['clientSecret'];
    delete c.credentials['tenantId'];
    c.settings['colour'] = SECRET;
    const got = problems(c);
    expect(got).toEqual(
      expect.arrayContaining([expect.stringMatching(/clientSecret is required/), expect.stringMatching(/tenantId is required/), expect.stringMatching(/unknown property 'colour'/)]),
    );
    expect(got.join('\n')).not.toContain(SECRET);
    expect(problems({ id: 'am', type: 'azure-monitor' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/endpoint is required/), expect.stringMatching(/clientId is required/)]),
    );
  });

  it('declares its type and limits', () => {
    expect(azureMonitorSinkPlugin.type).toBe('azure-monitor');
    expect(azureMonitorSinkPlugin.limits.maxBytes).toBeGreaterThanOrEqual(1_000_000);
  });
});
