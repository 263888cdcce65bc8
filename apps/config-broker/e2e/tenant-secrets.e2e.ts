import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProxyProcess, startProxy, TrackedChild, waitUntil } from '@tsp/test-support';
import { BrokerProcess, startBrokerProcess } from './broker-process';

/**
 * Tenant secrets created on demand, as a vendor runs it: the BUILT broker and two BUILT proxies
 * (one service account, as replicas share one). 20 concurrent first derives of a new secret path,
 * split across both proxies, leave exactly one secret at the broker and give every caller the
 * same key; rotating it through the admin API makes both proxies serve a new Current secret
 * (listed first) and the old one with current: false within 5 s (long-poll; the periodic
 * refresh stays at 600 s); archiving it drops it.
 */
const KEK = randomBytes(32).toString('base64');
const TENANT = 'secret-tenant';
const PATH = 'customer-ssn';

interface DerivedKey {
  derivedKey: string;
  tenantSecretId: number;
  current: boolean;
}

let work: string;
let b: BrokerProcess;
let broker: TrackedChild;
const proxies: ProxyProcess[] = [];
let apiKey: string;

function admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return b.admin(method, route, body);
}

/** One derive request to a proxy, as a TSC sends it; the keys of (PATH, 'dp') or the error body. */
async function derive(proxy: ProxyProcess): Promise<{ status: number; keys: DerivedKey[]; body: Record<string, unknown> }> {
  const res = await fetch(`${proxy.url}/api/1/key/derive-with-secret-path`, {
    method: 'POST',
    headers: { authorization: `cmk ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: TENANT, iclFields: { requestingId: 'svc' }, customFields: {}, paths: { [PATH]: ['dp'] }, derivationType: 'sha512', secretType: 'deterministic' }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  const keys = ((body['derivedKeys'] as Record<string, Record<string, DerivedKey[]>> | undefined)?.[PATH]?.['dp'] ?? []) as DerivedKey[];
  return { status: res.status, keys, body };
}

async function brokerSecrets(): Promise<{ id: number; secretPath: string; status: string }[]> {
  const res = await admin('GET', `/tenants/${TENANT}/secrets`);
  expect(res.status).toBe(200);
  return (res.json['secrets'] as { id: number; secretPath: string; status: string }[]).filter((s) => s.secretPath === PATH);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-secrets-e2e-'));
  b = await startBrokerProcess(work);
  broker = b.child;

  const sa = await admin('POST', '/service-accounts', { id: 'sa-secrets', name: 'secret proxies', tenantTags: ['secrets'] });
  expect(sa.status).toBe(201);
  const envFile = String(sa.json['envFile']);
  apiKey = envFile.match(/^API_KEY=(.*)$/m)?.[1] ?? '';
  const saFile = path.join(work, 'service-account.env');
  writeFileSync(saFile, envFile, { mode: 0o600 });
  expect((await admin('POST', '/tenants', { id: TENANT, name: 'Secret tenant', tags: ['secrets'] })).status).toBe(201);
  const kms = await admin('POST', `/tenants/${TENANT}/kms-configs`, { type: 'local', keyPath: { name: 'secrets-kek' }, credentials: { kek: KEK }, active: true, primary: true });
  expect(kms.status).toBe(201);
  // The periodic refresh stays at its default (600 s): changes arrive through the long-poll.
  for (let i = 0; i < 2; i++) proxies.push(await startProxy({ serviceAccountFile: saFile, env: { TSP_EVENT_OUTPUT: 'none' } }));
}, 60_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await broker?.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

test('20 concurrent first derives on two proxies create one secret; rotation serves a new current one and the old with current: false within 5 s; archive drops it', async () => {
  expect(await brokerSecrets()).toEqual([]);
  const first = await Promise.all(Array.from({ length: 20 }, (_, i) => derive(proxies[i % 2]!)));
  for (const a of first) expect(a.status).toBe(200);
  const secrets = await brokerSecrets();
  expect(secrets).toEqual([{ id: expect.any(Number), tenantId: TENANT, secretPath: PATH, secretType: 'deterministic', status: 'current', createdAt: expect.any(String) }]);
  const oldId = secrets[0]!.id;
  const oldKey = first[0]!.keys[0]!.derivedKey;
  expect(Buffer.from(oldKey, 'base64')).toHaveLength(64);
  for (const a of first) expect(a.keys).toEqual([{ derivedKey: oldKey, tenantSecretId: oldId, current: true }]);

  // Rotation: current → inRotation. Each proxy sees it through its long-poll and creates (or
  // gets) the new Current secret on its next derive.
  expect((await admin('POST', `/tenant-secrets/${oldId}/rotate`)).status).toBe(200);
  const rotatedAt = Date.now();
  const rotated: DerivedKey[][] = [];
  for (const proxy of proxies) {
    await waitUntil(
      async () => {
        const r = await derive(proxy);
        if (r.status !== 200 || r.keys.length !== 2) return false;
        rotated.push(r.keys);
        return true;
      },
      5000,
      'a derive with the new current secret',
    );
  }
  expect(Date.now() - rotatedAt).toBeLessThan(5000);
  const newId = rotated[0]![0]!.tenantSecretId;
  expect(newId).not.toBe(oldId);
  for (const keys of rotated) {
    expect(keys).toEqual([
      { derivedKey: rotated[0]![0]!.derivedKey, tenantSecretId: newId, current: true },
      { derivedKey: oldKey, tenantSecretId: oldId, current: false },
    ]);
  }
  expect(rotated[0]![0]!.derivedKey).not.toBe(oldKey);
  expect((await brokerSecrets()).map((s) => [s.id, s.status])).toEqual([
    [oldId, 'inRotation'],
    [newId, 'current'],
  ]);

  // Archive: the old secret is no longer returned by any proxy.
  expect((await admin('POST', `/tenant-secrets/${oldId}/archive`)).status).toBe(200);
  for (const proxy of proxies) {
    await waitUntil(async () => (await derive(proxy)).keys.length === 1, 5000, 'the archived secret dropped');
    expect((await derive(proxy)).keys).toEqual([{ derivedKey: rotated[0]![0]!.derivedKey, tenantSecretId: newId, current: true }]);
  }
  expect((await brokerSecrets()).map((s) => [s.id, s.status])).toEqual([
    [oldId, 'archived'],
    [newId, 'current'],
  ]);

  for (const text of [broker.stderr(), ...proxies.map((p) => p.stderr())]) {
    expect(text).not.toContain(b.adminToken);
    expect(text).not.toContain(KEK);
    expect(text).not.toContain(apiKey);
  }
}, 60_000);
