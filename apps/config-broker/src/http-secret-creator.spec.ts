import { createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigLoader, createConfigSource, HttpSecretCreator, tenantSecretsUrl } from '@tsp/broker-client';
import type { KmsProviderFactory } from '@tsp/kms-core';
import { KmsProviderRegistry } from '@tsp/kms-core';
import { localKmsFactory } from '@tsp/kms-local';
import { buildTenantRegistry, DeriveService, KeyService, LeaseManager, RandomPool } from '@tsp/key-service';
import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import { freePort, tspErrorOf } from '@tsp/test-support';
import { BrokerHarness, startBroker } from './testing/broker-harness';
import { createServiceAccount, TestServiceAccount } from './testing/service-account-client';

const KEK = Buffer.alloc(32, 11).toString('base64');
const DOC = '/api/v1/config-document';

/** One proxy's key path, in process: its KeyService, DeriveService and HttpSecretCreator over the broker's document. */
interface MiniProxy {
  keys: KeyService;
  derive: DeriveService;
  creator: HttpSecretCreator;
  loader: ConfigLoader;
  /** Every buffer the KMS was asked to wrap (the new secrets' plaintext). */
  wrapped: Buffer[];
  derived(path: string, dp?: string): Promise<{ derivedKey: string; tenantSecretId: number; current: boolean }[]>;
}

async function miniProxy(b: BrokerHarness, sa: TestServiceAccount, opts: { now?: () => number; rememberMs?: number; url?: URL; timeoutMs?: number } = {}): Promise<MiniProxy> {
  const wrapped: Buffer[] = [];
  const observed: KmsProviderFactory = {
    type: 'local',
    validate: (c) => localKmsFactory.validate(c),
    create(c) {
      const inner = localKmsFactory.create(c);
      return {
        type: 'local',
        wrap: async (dek, ctx) => {
          wrapped.push(dek);
          return inner.wrap(dek, ctx);
        },
        unwrap: (data, ctx) => inner.unwrap(data, ctx),
        healthcheck: (ctx) => inner.healthcheck(ctx),
        close: () => inner.close(),
      };
    },
  };
  const providers = new KmsProviderRegistry().register(observed);
  const pool = new RandomPool();
  const keys = new KeyService({ pool, leases: new LeaseManager(pool, { cacheSize: 100, cacheTtlMs: 60_000 }), kmsTimeoutMs: 5000, batchKmsConcurrency: 4 });
  const configUrl = new URL(`${b.url}${DOC}`);
  const creator = new HttpSecretCreator({
    url: opts.url ?? tenantSecretsUrl(configUrl),
    serviceAccountId: sa.id,
    signingKey: sa.signingKey,
    keys,
    timeoutMs: opts.timeoutMs ?? 5000,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    ...(opts.rememberMs !== undefined ? { rememberMs: opts.rememberMs } : {}),
  });
  const derive = new DeriveService(keys, creator, { cacheSize: 100, cacheTtlMs: 60_000 });
  const loader = new ConfigLoader({
    source: createConfigSource(configUrl.href, sa.id, sa.signingKey, 'TSP_CONFIG_URL'),
    serviceAccountId: sa.id,
    brokerPublicKey: b.brokerPublicKey,
    encryptionKey: sa.encryptionKey,
    fetchTimeoutMs: 5000,
    apply: (loaded) => {
      keys.setRegistry(buildTenantRegistry(loaded.tenants, providers, loaded.sequence, keys.getRegistry()));
      derive.clearCache();
    },
  });
  await loader.loadInitial();
  return {
    keys,
    derive,
    creator,
    loader,
    wrapped,
    derived: async (path, dp = 'dp') => (await derive.derive('tenant-a', { [path]: [dp] }, 'sha512', 'deterministic')).derivedKeys[path]![dp]!,
  };
}

describe('HttpSecretCreator against the real broker', () => {
  let b: BrokerHarness;
  let sa: TestServiceAccount;
  let sa2: TestServiceAccount;

  const posts = (): number => b.repo.calls['createTenantSecret'] ?? 0;

  beforeEach(async () => {
    b = await startBroker();
    expect((await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A', tags: ['t'] })).status).toBe(201);
    expect((await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', { type: 'local', keyPath: { name: 'k' }, credentials: { kek: KEK }, primary: true })).status).toBe(201);
    sa = await createServiceAccount(b, 'sa-one', ['t']);
    sa2 = await createServiceAccount(b, 'sa-two', ['t']);
  });
  afterEach(async () => {
    await b.close();
  });

  it('20 concurrent first derives on two proxies: one secret at the broker, one request per proxy, the same key for all', async () => {
    const [p1, p2] = [await miniProxy(b, sa), await miniProxy(b, sa2)];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? p1 : p2).derived('ssn')));
    const secrets = await b.repo.listTenantSecrets('tenant-a');
    expect(secrets.map((s) => [s.secretPath, s.status])).toEqual([['ssn', 'current']]);
    expect(posts()).toBe(2);
    for (const a of answers) expect(a).toEqual([{ derivedKey: answers[0]![0]!.derivedKey, tenantSecretId: secrets[0]!.id, current: true }]);

    // The key is HMAC-SHA512 of the secret the broker stored (whoever wrapped it).
    const stored = (await b.repo.tenantsForDocument(sa.id))[0]!.secrets[0]!.encryptedSecret;
    const { dek } = await p1.keys.unwrapFor(p1.keys.tenant('tenant-a'), stored);
    expect(answers[0]![0]!.derivedKey).toBe(createHmac('sha512', dek).update('tenant-a-dp').digest('base64'));
    // Each proxy wrapped one secret of its own and wiped its plaintext afterwards.
    expect(p1.wrapped.length + p2.wrapped.length).toBe(2);
    for (const w of [...p1.wrapped, ...p2.wrapped]) expect(w.equals(Buffer.alloc(32))).toBe(true);
  });

  it('serves the secret it got until a document lists it; rotation then gets a new Current one and the old one is current: false; archive drops it', async () => {
    const p = await miniProxy(b, sa);
    const [first] = await p.derived('ssn');
    expect(posts()).toBe(1);
    // The document is not reloaded yet: the remembered secret serves, no second request.
    expect(await p.derived('ssn', 'dp')).toEqual([first]);
    expect(posts()).toBe(1);
    expect(p.creator.remembered).toBe(1);

    await p.loader.refresh();
    expect(p.keys.tenant('tenant-a').secrets.map((s) => s.id)).toEqual([first!.tenantSecretId]);
    expect(await p.derived('ssn')).toEqual([first]);
    expect(posts()).toBe(1);

    expect((await b.admin('POST', `/api/v1/tenant-secrets/${first!.tenantSecretId}/rotate`)).status).toBe(200);
    await p.loader.refresh();
    // The registry lists the old secret InRotation: the remembered copy is dropped, the broker asked.
    const rotated = await p.derived('ssn');
    expect(posts()).toBe(2);
    expect(rotated).toHaveLength(2);
    expect(rotated[0]).toMatchObject({ current: true });
    expect(rotated[0]!.tenantSecretId).not.toBe(first!.tenantSecretId);
    expect(rotated[0]!.derivedKey).not.toBe(first!.derivedKey);
    expect(rotated[1]).toEqual({ ...first, current: false });

    expect((await b.admin('POST', `/api/v1/tenant-secrets/${first!.tenantSecretId}/archive`)).status).toBe(200);
    await p.loader.refresh();
    expect(await p.derived('ssn')).toEqual([rotated[0]]);
    expect(posts()).toBe(2);
  });

  it('forgets a remembered secret after rememberMs and asks the broker again (which answers the same one)', async () => {
    const clock = { now: 1_000_000 };
    const p = await miniProxy(b, sa, { now: () => clock.now, rememberMs: 1000 });
    const [first] = await p.derived('ssn');
    clock.now += 999;
    await p.derived('ssn');
    expect(posts()).toBe(1);
    clock.now += 2;
    expect(await p.derived('ssn')).toEqual([first]);
    expect(posts()).toBe(2);
    expect(await b.repo.listTenantSecrets('tenant-a')).toHaveLength(1);
  });

  it("turns the broker's refusal into 401 SecretCreationFailed naming the reason, and retries on the next derive", async () => {
    const p = await miniProxy(b, sa);
    // The proxy still holds the tenant; the broker no longer serves it.
    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-a', { archived: true })).status).toBe(200);
    const e = await tspErrorOf(p.derived('ssn'));
    expect(e.code).toBe(ErrorCode.SecretCreationFailed);
    expect(e.message).toMatch(/^Could not create a deterministic secret for path 'ssn' of tenant 'tenant-a': the broker answered HTTP 403 \(forbidden: tenantId: .*archived/);
    expect(e.message).not.toContain(KEK);
    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-a', { archived: false })).status).toBe(200);
    expect(await p.derived('ssn')).toHaveLength(1);
    expect(await b.repo.listTenantSecrets('tenant-a')).toHaveLength(1);

    expect((await b.admin('POST', '/api/v1/service-accounts/sa-one/revoke')).status).toBe(200);
    const revoked = await tspErrorOf(p.derived('email'));
    expect(revoked.message).toContain('HTTP 403 (forbidden: the service account is revoked)');
  });

  describe('a broker that cannot be reached or answers nonsense', () => {
    let servers: Server[] = [];
    afterEach(async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      servers = [];
    });

    async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
      const s = createServer(handler);
      servers.push(s);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1/tenant-secrets`);
    }

    it('a refused connection, a timeout and an answer that is not the secret asked for are 401s saying so', async () => {
      const closed = new URL(`http://127.0.0.1:${await freePort()}/api/v1/tenant-secrets`);
      const refused = await tspErrorOf((await miniProxy(b, sa, { url: closed })).derived('ssn'));
      expect(refused).toBeInstanceOf(TspError);
      expect(refused.code).toBe(401);
      expect(refused.message).toMatch(/the broker at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/tenant-secrets could not be reached \(ECONNREFUSED\)/);

      const silent = await serve(() => undefined);
      const started = Date.now();
      const timedOut = await tspErrorOf((await miniProxy(b, sa, { url: silent, timeoutMs: 300 })).derived('ssn'));
      expect(timedOut.message).toContain('could not be reached (timed out)');
      expect(Date.now() - started).toBeLessThan(3000);

      const wrongPath = await serve((req, res) => {
        req.resume();
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 5, secretPath: 'other', secretType: 'deterministic', status: 'current', encryptedSecret: 'AAAA', created: true }));
      });
      const nonsense = await tspErrorOf((await miniProxy(b, sa, { url: wrongPath })).derived('ssn'));
      expect(nonsense.message).toContain("the broker's answer is not the Current tenant secret asked for");
      expect(await b.repo.listTenantSecrets('tenant-a')).toEqual([]);
    });

    it('concurrent creations of one path share one request, also when it fails', async () => {
      let requests = 0;
      const failing = await serve((req, res) => {
        requests++;
        req.resume();
        setTimeout(() => res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"unavailable","message":"try later"}'), 50);
      });
      const p = await miniProxy(b, sa, { url: failing });
      const errors = await Promise.all(Array.from({ length: 10 }, () => tspErrorOf(p.derived('ssn'))));
      expect(requests).toBe(1);
      for (const e of errors) expect(e.message).toContain('the broker answered HTTP 503 (unavailable: try later)');
      await tspErrorOf(p.derived('ssn'));
      expect(requests).toBe(2);
    });
  });
});
