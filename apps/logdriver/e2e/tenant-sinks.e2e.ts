import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TenantConfig } from '@tsp/config-crypto';
import { startFakeElasticsearch, FakeElasticsearch } from '@tsp/fake-elasticsearch';
import { startFakeSplunkHec, FakeSplunkHec } from '@tsp/fake-splunk-hec';
import { tenantFileName } from '@tsp/sink-file';
import { TestEnvironment, waitUntil } from '@tsp/test-support';
import { LogdriverProcess, postEvents, rayIdOf, readDelivered, startLogdriver } from './logdriver-process';

/**
 * The built logdriver reading tenants' logging configs from the sealed config document, as a
 * deployment does: each tenant's events reach its own system (Splunk HEC, Elasticsearch, its
 * file), a tenant without a logging config goes to the default sink, an invalid config holds
 * the tenant's events until a refreshed document fixes it, and a changed config takes effect
 * without a restart.
 */
const TOKEN = 'e2e-hec-token-00000000000000000000';

let work: string;
let te: TestEnvironment;
let hec: FakeSplunkHec;
let es: FakeElasticsearch;
let ld: LogdriverProcess;
let n = 0;

function events(tenantId: string, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, () => {
    n++;
    return {
      eventId: `sinks-e2e-${n}`, category: 'application', tenantId, timestampMillis: Date.now(),
      iclFields: { event: 'USER_LOGIN', requestingId: 'u1', tspRayId: `sinks-e2e-ray-${n}` }, customFields: { n: String(n) },
    };
  });
}

const ids = (evs: readonly Record<string, unknown>[]): string[] => evs.map((e) => (e['iclFields'] as Record<string, string>)['tspRayId']);
const fileIds = (tenantId: string): string[] => (readDelivered(path.join(work, 'events')).byFile.get(tenantFileName(tenantId)) ?? []).map(rayIdOf);
const hecIds = (): string[] => hec.received().map((e) => String(((e.event as Record<string, unknown>)['iclFields'] as Record<string, unknown>)['tspRayId']));
const esIds = (): string[] => es.documents('tsp-events').map((d) => d.id);

function setLogging(tenants: TenantConfig[], tenantId: string, logging: TenantConfig['logging']): void {
  const t = tenants.find((x) => x.tenantId === tenantId);
  if (t === undefined) throw new Error(`no tenant ${tenantId}`);
  if (logging === undefined) delete t.logging;
  else t.logging = logging;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-sinks-e2e-'));
  te = await TestEnvironment.create();
  hec = await startFakeSplunkHec({ tokens: [{ token: TOKEN, indexes: ['main'] }] });
  es = await startFakeElasticsearch();
  te.update((tenants) => {
    setLogging(tenants, 'demo-tenant-1', { sinks: [{ id: 'siem', type: 'splunk-hec', settings: { url: hec.url }, credentials: { token: TOKEN } }] });
    setLogging(tenants, 'demo-tenant-2', { sinks: [{ id: 'search', type: 'elasticsearch', settings: { url: es.url, index: 'tsp-events' }, credentials: { apiKey: es.encodedApiKey } }] });
    setLogging(tenants, 'demo-tenant-combo', { sinks: [{ id: 'typo', type: 'splunk-hek' }] });
    setLogging(tenants, 'demo-tenant-aws', undefined);
  });
  ld = await startLogdriver({
    spoolDir: path.join(work, 'spool'),
    eventsDir: path.join(work, 'events'),
    env: { TSP_SERVICE_ACCOUNT_FILE: te.env.serviceAccountFile, TSP_CONFIG_REFRESH_INTERVAL: '1', TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '100' },
  });
}, 60_000);

afterAll(async () => {
  await ld?.stop();
  await hec?.stop();
  await es?.stop();
  te?.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('tenant logging configs through the built logdriver', () => {
  it('delivers each tenant to its own system; no config: the default sink; an invalid config: held', async () => {
    const t1 = events('demo-tenant-1', 5);
    const t2 = events('demo-tenant-2', 5);
    const held = events('demo-tenant-combo', 3);
    const plain = events('demo-tenant-aws', 2);
    const stranger = events('not-in-the-document', 2);
    const res = await postEvents(ld.url, [...t1, ...t2, ...held, ...plain, ...stranger]);
    expect(res).toEqual({ status: 200, body: { accepted: 17, duplicates: 0 } });
    await waitUntil(() => ids(t1).every((id) => hecIds().includes(id)) && ids(t2).every((id) => esIds().includes(id)), 10_000, 'splunk and elasticsearch deliveries');
    await waitUntil(() => fileIds('demo-tenant-aws').length === 2 && fileIds('not-in-the-document').length === 2, 10_000, 'default sink deliveries');
    expect(fileIds('demo-tenant-aws')).toEqual(ids(plain));
    expect(fileIds('demo-tenant-1')).toEqual([]);
    expect(fileIds('demo-tenant-combo')).toEqual([]);
    const metrics = await (await fetch(`${ld.url}/metrics`)).text();
    expect(metrics).toMatch(/tsp_logdriver_tenants_held 1/);
    expect(metrics).toMatch(/tsp_logdriver_events_delivered_total\{sink="splunk-hec"\} 5/);
    expect(metrics).toMatch(/tsp_logdriver_events_delivered_total\{sink="elasticsearch"\} 5/);
    expect(ld.stderr()).toContain("logging.sinks[typo].type 'splunk-hek' is not a sink this logdriver knows");
    expect(ld.stderr()).not.toContain(TOKEN);
  });

  it('a refreshed document takes effect without a restart: held events flow once fixed, a moved tenant goes to its new sink', async () => {
    te.update((tenants) => {
      setLogging(tenants, 'demo-tenant-combo', { sinks: [{ id: 'file', type: 'file' }] });
      setLogging(tenants, 'demo-tenant-1', { sinks: [{ id: 'file', type: 'file' }] });
    });
    await waitUntil(() => fileIds('demo-tenant-combo').length === 3, 15_000, 'held events delivered after the fix');
    const before = hecIds().length;
    const moved = events('demo-tenant-1', 3);
    await postEvents(ld.url, moved);
    await waitUntil(() => ids(moved).every((id) => fileIds('demo-tenant-1').includes(id)), 10_000, 'moved tenant delivered to its file');
    expect(hecIds()).toHaveLength(before);
    expect(await (await fetch(`${ld.url}/metrics`)).text()).toMatch(/tsp_logdriver_tenants_held 0/);
  });
});
