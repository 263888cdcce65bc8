import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DocumentMetadata, TenantSecurityClient } from '@ironcorelabs/tenant-security-nodejs';
import { clientErrorCode, CloudFake, ProxyProcess, startCloudFakes, startProxy, stopCloudFakes, TestEnvironment } from '@tsp/test-support';

/**
 * Tenants on each cloud KMS (the real SDKs inside the built proxy, talking to the loopback
 * fakes), driven through the unmodified Node client: round trips, rekey across every ordered
 * pair of providers, the documented codes for disabled keys, revoked credentials and an
 * unreachable KMS, and isolation: one tenant's slow KMS does not slow the others.
 */
let env: TestEnvironment;
let proxy: ProxyProcess;
let client: TenantSecurityClient;
let fakes: CloudFake[];

const meta = (t: string): DocumentMetadata => new DocumentMetadata(t, 'cloud-e2e');
const doc = (): Record<string, Buffer> => ({ f: Buffer.from('cloud secret') });

beforeAll(async () => {
  fakes = await startCloudFakes();
  env = await TestEnvironment.create();
  env.update((tenants) => {
    fakes.forEach((f, i) => {
      tenants.push({ tenantId: f.tenantId, kmsConfigs: [f.kmsConfig(1000 + i)], secrets: [] });
      tenants.push({ tenantId: `${f.tenantId}-leased`, kmsConfigs: [f.kmsConfig(1100 + i, true)], secrets: [] });
    });
  });
  // The Azure fake speaks https (MSAL requires it): the proxy trusts its CA like any private CA.
  const caFile = path.join(env.env.dir, 'fake-ca.pem');
  writeFileSync(caFile, fakes.map((f) => f.caCert ?? '').join('\n'));
  proxy = await startProxy({
    serviceAccountFile: env.env.serviceAccountFile,
    env: { TSP_KMS_TIMEOUT_MS: '1500', TSP_EVENT_OUTPUT: 'none', NODE_EXTRA_CA_CERTS: caFile },
  });
  client = new TenantSecurityClient(proxy.url, env.apiKey);
});

afterAll(async () => {
  await proxy?.stop();
  env?.remove();
  await stopCloudFakes(fakes ?? []);
});

afterEach(() => fakes.forEach((f) => f.clearFaults()));

test('each cloud tenant encrypts and decrypts through its own KMS', async () => {
  for (const f of fakes) {
    const before = f.kmsRequests();
    const enc = await client.encryptDocument(doc(), meta(f.tenantId));
    expect((await client.decryptDocument(enc, meta(f.tenantId))).plaintextDocument.f.toString()).toBe('cloud secret');
    expect(f.kmsRequests()).toBe(before + 2);
  }
});

test('rekey across every ordered pair of providers, then decrypt with the new EDEK', async () => {
  for (const from of fakes) {
    for (const to of fakes) {
      const enc = await client.encryptDocument(doc(), meta(from.tenantId));
      const edek = await client.rekeyEdek(enc.edek, to.tenantId, meta(from.tenantId));
      const dec = await client.decryptDocument({ ...enc, edek }, meta(to.tenantId));
      expect(`${from.name}->${to.name}: ${dec.plaintextDocument.f.toString()}`).toBe(`${from.name}->${to.name}: cloud secret`);
    }
  }
});

test('a disabled key gives 207, revoked credentials 206, an unreachable KMS 208 within the deadline', async () => {
  for (const f of fakes) {
    f.disableKey();
    expect(`${f.name} ${await clientErrorCode(client.encryptDocument(doc(), meta(f.tenantId)))}`).toBe(`${f.name} 207`);
    f.clearFaults();
    if (f.revokeCredentials !== undefined) {
      f.revokeCredentials();
      expect(`${f.name} ${await clientErrorCode(client.encryptDocument(doc(), meta(f.tenantId)))}`).toBe(`${f.name} 206`);
      f.clearFaults();
    }
    f.dropConnections();
    const start = Date.now();
    expect(`${f.name} ${await clientErrorCode(client.encryptDocument(doc(), meta(f.tenantId)))}`).toBe(`${f.name} 208`);
    expect(Date.now() - start).toBeLessThan(3 * 1500);
    f.clearFaults();
  }
});

test('leasing with a cloud KMS: 300 wraps, the first 100 concurrent, make one KMS call per provider', async () => {
  for (const f of fakes) {
    const tenant = `${f.tenantId}-leased`;
    const before = f.kmsRequests();
    const first = await Promise.all(Array.from({ length: 100 }, () => client.encryptDocument(doc(), meta(tenant))));
    for (let i = 0; i < 200; i++) await client.encryptDocument(doc(), meta(tenant));
    expect(`${f.name} ${f.kmsRequests() - before}`).toBe(`${f.name} 1`);
    // And they decrypt from this proxy's cache of the leased key: still no further KMS call.
    expect((await client.decryptDocument(first[0], meta(tenant))).plaintextDocument.f.toString()).toBe('cloud secret');
    expect(f.kmsRequests() - before).toBe(1);
  }
});

test("one tenant's KMS being down does not fail or slow other tenants", async () => {
  const [down, ...others] = fakes;
  down.dropConnections();
  expect(await clientErrorCode(client.encryptDocument(doc(), meta(down.tenantId)))).toBe(208);
  for (const t of ['demo-tenant-1', ...others.map((o) => o.tenantId)]) {
    const start = Date.now();
    const enc = await client.encryptDocument(doc(), meta(t));
    expect((await client.decryptDocument(enc, meta(t))).plaintextDocument.f.toString()).toBe('cloud secret');
    expect(Date.now() - start).toBeLessThan(800);
  }
});

test("one tenant's slow KMS does not slow other tenants' requests", async () => {
  const [slow, ...others] = fakes;
  slow.setLatency(1200);
  const slowCall = (async () => {
    const start = Date.now();
    await client.encryptDocument(doc(), meta(slow.tenantId));
    return Date.now() - start;
  })();
  const timings: number[] = [];
  for (let i = 0; i < 10; i++) {
    for (const t of ['demo-tenant-1', ...others.map((o) => o.tenantId)]) {
      const start = Date.now();
      await client.encryptDocument(doc(), meta(t));
      timings.push(Date.now() - start);
    }
  }
  expect(await slowCall).toBeGreaterThanOrEqual(1200);
  // Every other tenant's request stayed fast while the slow one was waiting.
  expect(Math.max(...timings)).toBeLessThan(600);
});
