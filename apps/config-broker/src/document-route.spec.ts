import { generateKeyPairSync } from 'node:crypto';
import { createConfigSource } from '@tsp/broker-client';
import { openTenants, TenantConfig, verifyConfigDocument } from '@tsp/config-crypto';
import { BrokerHarness, startBroker } from './testing/broker-harness';
import { createServiceAccount, nowSeconds, TestServiceAccount, tspSaHeader } from './testing/service-account-client';

const PATH = '/api/v1/config-document';
const KEK = Buffer.alloc(32, 7).toString('base64');
const SINK_TOKEN = 'sink-token-never-in-clear-0123456789';
const ENCRYPTED_SECRET = Buffer.alloc(48, 9).toString('base64');

async function seed(b: BrokerHarness): Promise<void> {
  for (const [id, tags, archived] of [['tenant-eu', ['eu'], false], ['tenant-us', ['us'], false], ['tenant-old', ['eu'], true]] as const) {
    expect((await b.admin('POST', '/api/v1/tenants', { id, name: id, tags, archived })).status).toBe(201);
    expect((await b.admin('POST', `/api/v1/tenants/${id}/kms-configs`, { type: 'local', keyPath: { name: `kek-${id}` }, credentials: { kek: KEK }, primary: true })).status).toBe(201);
  }
  expect((await b.admin('PUT', '/api/v1/tenants/tenant-eu/logging-config', { sinks: [{ id: 'siem', type: 'splunk-hec', settings: { url: 'https://127.0.0.1:8088' }, credentials: { token: SINK_TOKEN } }] })).status).toBe(200);
  expect((await b.admin('POST', '/api/v1/tenants/tenant-eu/kms-configs', { type: 'local', keyPath: { name: 'kek-eu-2' }, credentials: { kek: KEK }, leasingAllowed: true, leasingLifetimeSeconds: 900 })).status).toBe(201);
  await b.repo.addSecret('tenant-eu', { secretPath: 'ssn', secretType: 'deterministic', status: 'current', encryptedSecret: ENCRYPTED_SECRET });
}

describe('GET /api/v1/config-document', () => {
  let b: BrokerHarness;
  let sa: TestServiceAccount;
  beforeEach(async () => {
    b = await startBroker();
    await seed(b);
    sa = await createServiceAccount(b, 'sa-eu', ['eu']);
  });
  afterEach(async () => {
    await b.close();
  });

  const get = (authorization: string | undefined, extra: Record<string, string> = {}, path = PATH) =>
    b.raw('GET', path, { headers: { ...(authorization !== undefined ? { authorization } : {}), ...extra } });

  it('serves a signed document that opens, for this account only, to exactly the tenants its tags select', async () => {
    const res = await get(tspSaHeader(sa.id, sa.signingKey, PATH, nowSeconds()));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const payload = verifyConfigDocument(res.text, b.brokerPublicKey, 'sa-eu');
    expect(payload.sequence).toBe(await b.repo.sequence());
    expect(Object.keys(payload.tenants)).toEqual(['tenant-eu']);
    const opened = openTenants(payload, sa.encryptionKey);
    expect(opened).toHaveLength(1);
    const t = opened[0]!;
    if (!t.ok) throw new Error(t.problems.join('; '));
    const config: TenantConfig = t.config;
    expect(config.tenantId).toBe('tenant-eu');
    expect(config.kmsConfigs).toEqual([
      { id: expect.any(Number), type: 'local', active: true, primary: true, leasing: { enabled: false }, keyPath: { name: 'kek-tenant-eu' }, credentials: { kek: KEK } },
      { id: expect.any(Number), type: 'local', active: true, primary: false, leasing: { enabled: true, lifetimeSeconds: 900 }, keyPath: { name: 'kek-eu-2' }, credentials: { kek: KEK } },
    ]);
    expect(config.logging).toEqual({ sinks: [{ id: 'siem', type: 'splunk-hec', settings: { url: 'https://127.0.0.1:8088' }, credentials: { token: SINK_TOKEN } }] });
    expect(config.secrets).toEqual([{ id: 1, secretPath: 'ssn', secretType: 'deterministic', status: 'current', encryptedSecret: ENCRYPTED_SECRET }]);

    // Another account's key cannot open it; plaintext secrets never crossed the wire.
    const other = await createServiceAccount(b, 'sa-other', []);
    expect(openTenants(payload, other.encryptionKey).every((o) => !o.ok)).toBe(true);
    expect(() => verifyConfigDocument(res.text, b.brokerPublicKey, 'sa-other')).toThrow(/not 'sa-other'/);
    const text = b.transcript();
    for (const secret of [KEK, SINK_TOKEN, ENCRYPTED_SECRET]) expect(text).not.toContain(secret);
  });

  it('an account with no tags gets every non-archived tenant', async () => {
    const all = await createServiceAccount(b, 'sa-all', []);
    const res = await get(tspSaHeader(all.id, all.signingKey, PATH, nowSeconds()));
    const payload = verifyConfigDocument(res.text, b.brokerPublicKey, 'sa-all');
    expect(Object.keys(payload.tenants).sort()).toEqual(['tenant-eu', 'tenant-us']);
    expect(openTenants(payload, all.encryptionKey).every((o) => o.ok)).toBe(true);
  });

  it('answers 304 on a matching If-None-Match after reading only the sequence, and a new document after a change', async () => {
    const ts = nowSeconds();
    const first = await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts));
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const builds = b.repo.calls['tenantsForDocument'];

    const again = await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts - 1), { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(b.repo.calls['tenantsForDocument']).toBe(builds);

    const stale = await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts - 2), { 'if-none-match': '"something-else"' });
    expect(stale.status).toBe(200);

    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-us', { tags: ['us', 'eu'] })).status).toBe(200);
    const changed = await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts - 3), { 'if-none-match': etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const payload = verifyConfigDocument(changed.text, b.brokerPublicKey, 'sa-eu');
    expect(payload.sequence).toBeGreaterThan(verifyConfigDocument(first.text, b.brokerPublicKey, 'sa-eu').sequence);
    expect(Object.keys(payload.tenants).sort()).toEqual(['tenant-eu', 'tenant-us']);
  });

  it('builds the document once per sequence for concurrent and repeated requests, and again after a change', async () => {
    const before = b.repo.calls['tenantsForDocument'] ?? 0;
    const ts = nowSeconds();
    const texts = (await Promise.all(Array.from({ length: 5 }, (_, i) => get(tspSaHeader(sa.id, sa.signingKey, PATH, ts - i))))).map((r) => {
      expect(r.status).toBe(200);
      return r.text;
    });
    expect(new Set(texts).size).toBe(1);
    expect((await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts - 5))).text).toBe(texts[0]);
    expect(b.repo.calls['tenantsForDocument']).toBe(before + 1);
    // Another account at the same sequence gets its own document, sealed for its key.
    const all = await createServiceAccount(b, 'sa-all', []);
    const afterAccount = b.repo.calls['tenantsForDocument'] ?? 0;
    const other = await get(tspSaHeader(all.id, all.signingKey, PATH, nowSeconds()));
    expect(openTenants(verifyConfigDocument(other.text, b.brokerPublicKey, 'sa-all'), all.encryptionKey).every((o) => o.ok)).toBe(true);
    expect(b.repo.calls['tenantsForDocument']).toBe(afterAccount + 1);

    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-us', { tags: ['us', 'eu'] })).status).toBe(200);
    const changed = await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts - 6));
    expect(Object.keys(verifyConfigDocument(changed.text, b.brokerPublicKey, 'sa-eu').tenants).sort()).toEqual(['tenant-eu', 'tenant-us']);
    expect(b.repo.calls['tenantsForDocument']).toBe(afterAccount + 2);
  });

  it('ETags differ between accounts at the same sequence', async () => {
    const all = await createServiceAccount(b, 'sa-all', []);
    const a = await get(tspSaHeader(sa.id, sa.signingKey, PATH, nowSeconds()));
    const c = await get(tspSaHeader(all.id, all.signingKey, PATH, nowSeconds()));
    expect(a.headers.get('etag')).not.toBe(c.headers.get('etag'));
  });

  it('answers 403 for a revoked account', async () => {
    expect((await b.admin('POST', '/api/v1/service-accounts/sa-eu/revoke')).status).toBe(200);
    const res = await get(tspSaHeader(sa.id, sa.signingKey, PATH, nowSeconds()));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'forbidden', message: 'the service account is revoked' });
  });

  it('answers 401 for a tampered, foreign or misdirected signature', async () => {
    const ts = nowSeconds();
    const good = tspSaHeader(sa.id, sa.signingKey, PATH, ts);
    const sig = good.slice(good.indexOf('sig=') + 4);
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const foreignKey = generateKeyPairSync('ed25519').privateKey;
    const refused = [
      good.replace(sig, flipped),
      tspSaHeader(sa.id, foreignKey, PATH, ts),
      tspSaHeader(sa.id, sa.signingKey, `${PATH}?x=1`, ts),
      tspSaHeader(sa.id, sa.signingKey, PATH, ts, 'POST'),
      good.replace(`ts=${ts}`, `ts=${ts - 1}`),
    ];
    for (const header of refused) {
      const res = await get(header);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthorized', message: 'sig does not verify with the service account signing key' });
    }
    // The untampered request still works: refusals were not remembered as used signatures.
    expect((await get(good)).status).toBe(200);
  });

  it('answers 401 for a missing or malformed header and an unknown account', async () => {
    for (const header of [undefined, 'Bearer x', `TSP-SA id=${sa.id},ts=${nowSeconds()}`, `TSP-SA id=${sa.id},ts=abc,sig=${'A'.repeat(86)}==`]) {
      const res = await get(header);
      expect(res.status).toBe(401);
      expect((res.body as { message: string }).message).toMatch(/^Authorization must be "TSP-SA/);
    }
    const ghost = generateKeyPairSync('ed25519').privateKey;
    const res = await get(tspSaHeader('sa-ghost', ghost, PATH, nowSeconds()));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'unauthorized', message: 'unknown service account' });
  });

  it('accepts ts within 60 s of the clock and refuses it beyond', async () => {
    const now = nowSeconds();
    expect((await get(tspSaHeader(sa.id, sa.signingKey, PATH, now - 55))).status).toBe(200);
    expect((await get(tspSaHeader(sa.id, sa.signingKey, PATH, now + 55))).status).toBe(200);
    for (const ts of [now - 65, now + 65]) {
      const res = await get(tspSaHeader(sa.id, sa.signingKey, PATH, ts));
      expect(res.status).toBe(401);
      expect((res.body as { message: string }).message).toBe("ts is more than 60 seconds away from the broker's clock");
    }
    // The broker's clock decides: a request signed now is stale once the clock moved 2 minutes.
    b.clock.offsetMs = 120_000;
    expect((await get(tspSaHeader(sa.id, sa.signingKey, PATH, now))).status).toBe(401);
  });

  it('refuses a replayed request with 401', async () => {
    const header = tspSaHeader(sa.id, sa.signingKey, PATH, nowSeconds());
    expect((await get(header)).status).toBe(200);
    const replay = await get(header);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ code: 'unauthorized', message: 'this signed request was already used (replay)' });
    // Also with If-None-Match (a replay gets no 304 either).
    expect((await get(header, { 'if-none-match': '*' })).status).toBe(401);
  });

  it('is fetched and verified by the proxy\'s own HttpConfigSource', async () => {
    const source = createConfigSource(sa.env['TSP_CONFIG_URL']!.replace('http://127.0.0.1:9500', b.url), sa.id, sa.signingKey, 'TSP_CONFIG_URL');
    const first = await source.fetch(undefined, new AbortController().signal);
    if (!first.changed) throw new Error('expected a document');
    const payload = verifyConfigDocument(first.text, b.brokerPublicKey, sa.id);
    expect(openTenants(payload, sa.encryptionKey).map((o) => [o.tenantId, o.ok])).toEqual([['tenant-eu', true]]);
    // The client signs with whole seconds: its next request must fall in another second (see sa-request-auth.ts).
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    expect(await source.fetch(first.etag, new AbortController().signal)).toEqual({ changed: false });
  });
});

describe('GET config-document behind a path prefix', () => {
  it('verifies the signature over the public path (the prefix a reverse proxy strips)', async () => {
    const b = await startBroker({ publicPath: '/broker' });
    try {
      const sa = await createServiceAccount(b, 'sa-1', []);
      expect(sa.env['TSP_CONFIG_URL']).toBe('http://127.0.0.1:9500/broker/api/v1/config-document');
      const ok = await b.raw('GET', PATH, { headers: { authorization: tspSaHeader(sa.id, sa.signingKey, `/broker${PATH}`, nowSeconds()) } });
      expect(ok.status).toBe(200);
      const bare = await b.raw('GET', PATH, { headers: { authorization: tspSaHeader(sa.id, sa.signingKey, PATH, nowSeconds() - 1) } });
      expect(bare.status).toBe(401);
    } finally {
      await b.close();
    }
  });
});
