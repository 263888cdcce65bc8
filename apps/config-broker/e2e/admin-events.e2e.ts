import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tenantFileName } from '@tsp/sink-file';
import { freePort, TrackedChild, waitUntil } from '@tsp/test-support';
import { LogdriverProcess, readDelivered, startLogdriver } from '../../logdriver/e2e/logdriver-process';
import { BrokerProcess, startBrokerProcess } from './broker-process';

/**
 * Every admin change reaches the tenant's own logging: the built broker sends ADMIN_* events to
 * the built logdriver, which takes the tenant's logging config (a file sink) from the same
 * broker. While the logdriver is down, changes wait in the broker's outbox and arrive after it
 * is back: none is lost, none carries a secret.
 */
const KEK = randomBytes(32).toString('base64');

let work: string;
let b: BrokerProcess;
let broker: TrackedChild;
let ld: LogdriverProcess | undefined;
let ldPort: number;

function admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return b.admin(method, route, body);
}

/**
 * The tenant's delivered events, each once: delivery is at least once, so a logdriver killed with
 * -9 may deliver again what it wrote just before (the same tspRayId).
 */
function delivered(tenantId: string): Record<string, unknown>[] {
  const seen = new Set<string>();
  return (readDelivered(path.join(work, 'events')).byFile.get(tenantFileName(tenantId)) ?? []).filter((e) => {
    const ray = String((e['iclFields'] as Record<string, unknown>)['tspRayId']);
    if (seen.has(ray)) return false;
    seen.add(ray);
    return true;
  });
}
const eventName = (e: Record<string, unknown>): string => String((e['iclFields'] as Record<string, unknown>)['event']);
const action = (e: Record<string, unknown>): string => String((e['customFields'] as Record<string, unknown>)['action']);

async function startTheLogdriver(saFile: string): Promise<LogdriverProcess> {
  return startLogdriver({
    port: ldPort,
    spoolDir: path.join(work, 'spool'),
    eventsDir: path.join(work, 'events'),
    // The tenant's logging config comes from the broker; tenants without one go nowhere here.
    env: { TSP_SERVICE_ACCOUNT_FILE: saFile, TSP_LOGDRIVER_DEFAULT_SINK: 'stdout', TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '100' },
  });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-admin-events-e2e-'));
  ldPort = await freePort();
  b = await startBrokerProcess(work, { TSP_BROKER_LOGDRIVER_URL: `http://127.0.0.1:${ldPort}` });
  broker = b.child;
}, 60_000);

afterAll(async () => {
  await ld?.stop();
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('admin changes arrive in the tenant’s own logging as ADMIN_* events, also those made while the logdriver was down', async () => {
  const sa = await admin('POST', '/service-accounts', { id: 'sa-logs', name: 'logdrivers', tenantTags: [] });
  expect(sa.status).toBe(201);
  const saFile = path.join(work, 'service-account.env');
  writeFileSync(saFile, String(sa.json['envFile']), { mode: 0o600 });

  expect((await admin('POST', '/tenants', { id: 'audited', name: 'Audited' })).status).toBe(201);
  expect((await admin('PUT', '/tenants/audited/logging-config', { sinks: [{ id: 'siem-file', type: 'file' }] })).status).toBe(200);
  ld = await startTheLogdriver(saFile);
  const kms = await admin('POST', '/tenants/audited/kms-configs', { type: 'local', keyPath: { name: 'kek' }, credentials: { kek: KEK }, primary: true });
  expect(kms.status).toBe(201);
  expect((await admin('POST', '/tenants/audited/admins', { email: 'ops@audited.example' })).status).toBe(201);

  await waitUntil(() => delivered('audited').length >= 4, 15_000, 'four admin events in the tenant file');
  expect(delivered('audited').map((e) => [eventName(e), action(e)])).toEqual([
    ['ADMIN_CHANGE_SETTING', 'tenant.create'],
    ['ADMIN_CHANGE_SETTING', 'logging-config.put'],
    ['ADMIN_CHANGE_SETTING', 'kms-config.create'],
    ['ADMIN_ADD', 'tenant-admin.invite'],
  ]);
  expect(delivered('audited')[2]?.['customFields']).toMatchObject({ actorKind: 'vendor-admin', kmsConfigId: String(kms.json['id']) });

  // The logdriver goes away: changes wait in the broker's outbox, then arrive.
  await ld.stop('SIGKILL');
  ld = undefined;
  expect((await admin('PATCH', `/kms-configs/${String(kms.json['id'])}`, { leasingAllowed: true })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1500));
  ld = await startTheLogdriver(saFile);
  await waitUntil(() => delivered('audited').length >= 5, 20_000, 'the change made while the logdriver was down');
  expect(action(delivered('audited')[4] ?? {})).toBe('kms-config.update');

  const all = JSON.stringify(delivered('audited'));
  expect(all).not.toContain(KEK);
  expect(all).not.toContain(b.adminToken);
  expect(broker.stderr()).not.toContain(KEK);
}, 90_000);
