import { DocumentMetadata, TenantSecurityClient } from '@ironcorelabs/tenant-security-nodejs';
import { generateLocalKek } from '@tsp/kms-local';
import { clientErrorCode, ProxyProcess, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';

/** Config changes reach a running proxy at the next refresh; a failed refresh keeps the last good config. */
let env: TestEnvironment;
let proxy: ProxyProcess;
let client: TenantSecurityClient;
const meta = (t: string): DocumentMetadata => new DocumentMetadata(t, 'refresh-test');

async function health(): Promise<{ status: string; config: { sequence: number; lastError: string | null } }> {
  return (await (await fetch(`${proxy.healthUrl}/health`)).json()) as { status: string; config: { sequence: number; lastError: string | null } };
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  proxy = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_CONFIG_REFRESH_INTERVAL: '1' } });
  client = new TenantSecurityClient(proxy.url, env.apiKey);
});

afterAll(async () => {
  await proxy?.stop();
  env?.remove();
});

test('disabling a config while the proxy runs: its EDEKs get 202, a new primary takes over', async () => {
  const leased = await client.encryptDocument({ f: Buffer.from('leased doc') }, meta('demo-tenant-2'));
  const plain = await client.encryptDocument({ f: Buffer.from('plain doc') }, meta('demo-tenant-1'));
  // Leased key now cached: a decrypt works without the KMS.
  await client.decryptDocument(leased, meta('demo-tenant-2'));

  const sequence = env.update((tenants) => {
    for (const t of tenants) {
      if (t.tenantId !== 'demo-tenant-2') continue;
      t.kmsConfigs[0].active = false;
      t.kmsConfigs[0].primary = false;
      t.kmsConfigs.push({ id: 202, type: 'local', active: true, primary: true, keyPath: {}, credentials: { kek: generateLocalKek() }, leasing: { enabled: true } });
    }
  });
  await waitUntil(async () => (await health()).config.sequence === sequence, 10000, 'refresh');

  expect(await clientErrorCode(client.decryptDocument(leased, meta('demo-tenant-2')))).toBe(202);
  const fresh = await client.encryptDocument({ f: Buffer.from('new doc') }, meta('demo-tenant-2'));
  expect((await client.decryptDocument(fresh, meta('demo-tenant-2'))).plaintextDocument.f.toString()).toBe('new doc');
  // Other tenants are untouched.
  expect((await client.decryptDocument(plain, meta('demo-tenant-1'))).plaintextDocument.f.toString()).toBe('plain doc');
});

test('removing a tenant takes effect at the next refresh (201)', async () => {
  const sequence = env.update((tenants) => {
    tenants.splice(tenants.findIndex((t) => t.tenantId === 'demo-tenant-combo'), 1);
  });
  await waitUntil(async () => (await health()).config.sequence === sequence, 10000, 'refresh');
  expect(await clientErrorCode(client.encryptDocument({ f: Buffer.from('x') }, meta('demo-tenant-combo')))).toBe(201);
});

test('a document that fails verification is refused; the last good config stays in force', async () => {
  const { writeFileSync, readFileSync } = await import('node:fs');
  const good = readFileSync(env.env.documentFile, 'utf8');
  const doc = JSON.parse(good) as { signature: string };
  const sig = Buffer.from(doc.signature, 'base64');
  sig[0] ^= 1;
  writeFileSync(env.env.documentFile, JSON.stringify({ ...doc, signature: sig.toString('base64') }));
  await waitUntil(async () => (await health()).config.lastError !== null, 10000, 'failed refresh');
  const h = await health();
  expect(h.status).toBe('degraded');
  expect(h.config.lastError).toContain('signature');
  const enc = await client.encryptDocument({ f: Buffer.from('still works') }, meta('demo-tenant-1'));
  expect((await client.decryptDocument(enc, meta('demo-tenant-1'))).plaintextDocument.f.toString()).toBe('still works');
  const metrics = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
  expect(metrics).toMatch(/tsp_config_refresh_total\{outcome="failed"\} [1-9]/);
  // Restoring the document clears the error.
  writeFileSync(env.env.documentFile, good);
  await waitUntil(async () => (await health()).config.lastError === null, 10000, 'recovery');
});

test("one tenant's malformed config makes only that tenant unavailable", async () => {
  const sequence = env.update((tenants) => {
    const t1 = tenants.find((t) => t.tenantId === 'demo-tenant-1');
    if (t1 === undefined) throw new Error('demo-tenant-1 missing');
    t1.kmsConfigs[0].credentials = { kek: 'too-short' };
  });
  await waitUntil(async () => (await health()).config.sequence === sequence, 10000, 'refresh');
  const h = (await (await fetch(`${proxy.healthUrl}/health`)).json()) as { config: { invalidTenants: number } };
  expect(h.config.invalidTenants).toBe(1);
  const err = await clientErrorCode(client.encryptDocument({ f: Buffer.from('x') }, meta('demo-tenant-1')));
  expect(err).toBe(201);
  const ok = await client.encryptDocument({ f: Buffer.from('fine') }, meta('demo-tenant-2'));
  expect((await client.decryptDocument(ok, meta('demo-tenant-2'))).plaintextDocument.f.toString()).toBe('fine');
  expect(proxy.stderr()).toContain('tenant config rejected');
  expect(proxy.stderr()).toContain('credentials.kek must be base64 of 32 bytes');
  expect(proxy.stderr()).not.toContain('too-short');
});
