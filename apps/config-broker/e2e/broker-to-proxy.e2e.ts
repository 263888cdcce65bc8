import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DocumentMetadata, TenantSecurityClient, TenantSecurityException } from '@ironcorelabs/tenant-security-nodejs';
import { ProxyProcess, startProxy, TrackedChild, waitUntil } from '@tsp/test-support';
import { BrokerProcess, startBrokerProcess } from './broker-process';

/**
 * The broker as a vendor runs it, with the built proxy fetching its document over HTTP: a vendor
 * admin creates a service account, a tenant and its KMS config through the API; the proxy serves
 * the tenant; disabling the config makes unwrap of its EDEKs fail with 202 within 5 s (through
 * the long-poll; the periodic refresh is left at 600 s); re-enabling restores it; revoking the
 * service account stops the proxy's updates while it keeps its last good config.
 */

let work: string;
let b: BrokerProcess;
let broker: TrackedChild;
let proxy: ProxyProcess;

function admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return b.admin(method, route, body);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-broker-e2e-'));
  b = await startBrokerProcess(work);
  broker = b.child;
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a config made in the broker is served by the proxy; disabling it answers 202 within 5 s; revocation keeps the last good config', async () => {
  const sa = await admin('POST', '/service-accounts', { id: 'sa-e2e', name: 'e2e proxies', tenantTags: ['e2e'] });
  expect(sa.status).toBe(201);
  const saFile = path.join(work, 'service-account.env');
  writeFileSync(saFile, String(sa.json['envFile']), { mode: 0o600 });
  expect((await admin('POST', '/tenants', { id: 'broker-tenant', name: 'Broker tenant', tags: ['e2e'] })).status).toBe(201);
  const kek = randomBytes(32).toString('base64');
  const kms = await admin('POST', '/tenants/broker-tenant/kms-configs', { type: 'local', keyPath: { name: 'e2e-kek' }, credentials: { kek }, active: true, primary: true });
  expect(kms.status).toBe(201);
  expect(JSON.stringify(kms.json)).not.toContain(kek);
  expect(JSON.stringify((await admin('GET', '/tenants/broker-tenant/kms-configs')).json)).not.toContain(kek);

  // The periodic refresh stays at its default (600 s): changes arrive through the long-poll.
  proxy = await startProxy({ serviceAccountFile: saFile, env: { TSP_EVENT_OUTPUT: 'none' } });
  const client = new TenantSecurityClient(proxy.url, String(sa.json['envFile']).match(/^API_KEY=(.*)$/m)?.[1] ?? '');
  const meta = new DocumentMetadata('broker-tenant', 'svc', 'PII');
  const enc = await client.encryptDocument({ f: Buffer.from('from the broker') }, meta);

  expect((await admin('PATCH', `/kms-configs/${String(kms.json['id'])}`, { primary: false, active: false })).status).toBe(200);
  const disabledAt = Date.now();
  let code: number | undefined;
  await waitUntil(
    async () => {
      try {
        await client.decryptDocument(enc, meta);
        return false;
      } catch (e) {
        code = (e as TenantSecurityException).errorCode;
        return true;
      }
    },
    5000,
    'unwrap refused after the config was disabled',
  );
  expect(code).toBe(202);
  expect(Date.now() - disabledAt).toBeLessThan(5000);

  expect((await admin('PATCH', `/kms-configs/${String(kms.json['id'])}`, { active: true, primary: true })).status).toBe(200);
  await waitUntil(async () => client.decryptDocument(enc, meta).then(() => true, () => false), 5000, 'unwrap restored');

  // A revoked account gets nothing new; the proxy keeps serving its last good config.
  expect((await admin('POST', '/service-accounts/sa-e2e/revoke')).status).toBe(200);
  expect((await admin('POST', '/tenants', { id: 'after-revoke', name: 'x', tags: ['e2e'] })).status).toBe(201);
  await new Promise((r) => setTimeout(r, 1500));
  const back = await client.decryptDocument(enc, meta);
  expect(back.plaintextDocument['f']?.toString()).toBe('from the broker');
  expect(broker.stderr()).not.toContain(b.adminToken);
  expect(broker.stderr()).not.toContain(kek);
}, 60_000);
