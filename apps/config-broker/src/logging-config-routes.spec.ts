import type { LoggingConfigView } from '@tsp/broker-store';
import { BrokerHarness, startBroker } from './testing/broker-harness';

const HEC_TOKEN = '6f1c7f2e-hec-token-1b6e-4d7a-9a3c-5e2f8b0d1a4c';

const LOGGING = {
  sinks: [
    { id: 'siem', type: 'splunk-hec', settings: { url: 'https://127.0.0.1:8088', index: 'tsp' }, credentials: { token: HEC_TOKEN } },
    { id: 'out', type: 'stdout' },
  ],
  rateLimit: { eventsPerSecond: 100, burst: 200 },
  batch: { maxEvents: 50 },
};

describe('logging config routes', () => {
  let b: BrokerHarness;
  beforeEach(async () => {
    b = await startBroker();
    await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A' });
  });
  afterEach(async () => {
    await b.close();
  });

  it('puts, gets (without sink credentials), replaces and deletes', async () => {
    expect((await b.admin('GET', '/api/v1/tenants/tenant-a/logging-config')).status).toBe(404);
    const put = await b.admin('PUT', '/api/v1/tenants/tenant-a/logging-config', LOGGING);
    expect(put.status).toBe(200);
    const view = put.body as LoggingConfigView;
    expect(view.sinks).toEqual([
      { id: 'siem', type: 'splunk-hec', settings: { url: 'https://127.0.0.1:8088', index: 'tsp' }, hasCredentials: true },
      { id: 'out', type: 'stdout', settings: {}, hasCredentials: false },
    ]);
    expect(view).toMatchObject({ tenantId: 'tenant-a', rateLimit: { eventsPerSecond: 100, burst: 200 }, batch: { maxEvents: 50 } });
    expect((await b.admin('GET', '/api/v1/tenants/tenant-a/logging-config')).body).toEqual(view);

    const replaced = await b.admin('PUT', '/api/v1/tenants/tenant-a/logging-config', { sinks: [{ id: 'out', type: 'stdout' }] });
    expect((replaced.body as LoggingConfigView).sinks).toHaveLength(1);
    expect(replaced.body).not.toHaveProperty('rateLimit');

    expect((await b.admin('DELETE', '/api/v1/tenants/tenant-a/logging-config')).status).toBe(204);
    expect((await b.admin('GET', '/api/v1/tenants/tenant-a/logging-config')).status).toBe(404);
    expect((await b.admin('DELETE', '/api/v1/tenants/tenant-a/logging-config')).status).toBe(404);
    expect(b.transcript()).not.toContain(HEC_TOKEN);
  });

  it.each([
    [{ sinks: [] }, 'sinks must NOT have fewer than 1 items'],
    [{}, 'sinks is required'],
    [{ sinks: [{ id: 'a', type: 'Bad Type' }] }, 'sinks.0.type must match pattern'],
    [{ sinks: [{ id: 'a', type: 'stdout', secret: 'x' }] }, "unknown property 'secret'"],
    [{ sinks: [{ id: 'a', type: 'stdout' }], rateLimit: { eventsPerSecond: 0 } }, 'rateLimit.eventsPerSecond must be >= 1'],
    [{ sinks: [{ id: 'a', type: 'stdout' }, { id: 'a', type: 'stdout' }] }, 'sinks.1.id appears twice'],
  ])('refuses %j with 400 naming the field', async (body, expected) => {
    const res = await b.admin('PUT', '/api/v1/tenants/tenant-a/logging-config', body);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain(expected);
  });

  it('answers 404 for an unknown tenant', async () => {
    expect((await b.admin('PUT', '/api/v1/tenants/nope/logging-config', LOGGING)).status).toBe(404);
    expect((await b.admin('GET', '/api/v1/tenants/nope/logging-config')).status).toBe(404);
    expect((await b.admin('DELETE', '/api/v1/tenants/nope/logging-config')).status).toBe(404);
  });
});
