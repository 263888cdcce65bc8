import { randomBytes } from 'node:crypto';
import { tspSaAuthorization } from '@tsp/broker-client';
import type { TenantSecretView } from '@tsp/broker-store';
import { openTenants, verifyConfigDocument } from '@tsp/config-crypto';
import { encodeEncryptedDeks } from '@tsp/tsp-protocol';
import { Answer, BrokerHarness, startBroker } from './testing/broker-harness';
import { createServiceAccount, nowSeconds, TestServiceAccount, tspSaHeader } from './testing/service-account-client';

const ROUTE = '/api/v1/tenant-secrets';
const DOC = '/api/v1/config-document';
const KEK = Buffer.alloc(32, 3).toString('base64');

/** An EncryptedDeks as a proxy would send it (the broker cannot and does not unwrap it). */
function edek(kmsConfigId: number): string {
  return Buffer.from(encodeEncryptedDeks([{ encryptedDekData: randomBytes(48), kmsConfigId }])).toString('base64');
}

interface Created {
  id: number;
  secretPath: string;
  secretType: string;
  status: string;
  encryptedSecret: string;
  created: boolean;
}

describe('POST /api/v1/tenant-secrets (service accounts)', () => {
  let b: BrokerHarness;
  let sa: TestServiceAccount;
  let primaryId: number;
  let otherTenantConfigId: number;

  async function tenant(id: string, tags: string[], archived = false): Promise<number> {
    expect((await b.admin('POST', '/api/v1/tenants', { id, name: id, tags, archived })).status).toBe(201);
    const c = await b.admin('POST', `/api/v1/tenants/${id}/kms-configs`, { type: 'local', keyPath: { name: `kek-${id}` }, credentials: { kek: KEK }, primary: true });
    expect(c.status).toBe(201);
    return (c.body as { id: number }).id;
  }

  /** A POST signed by `who` over exactly `body` (or over `signedBody` when given: a tampered request). */
  function post(who: TestServiceAccount, body: string, opts: { signedBody?: string; authorization?: string; contentType?: string } = {}): Promise<Answer> {
    const authorization = opts.authorization ?? tspSaAuthorization(who.id, who.signingKey, 'POST', ROUTE, Buffer.from(opts.signedBody ?? body, 'utf8'));
    return b.raw('POST', ROUTE, { body, headers: { authorization, 'content-type': opts.contentType ?? 'application/json' } });
  }

  const json = (o: Record<string, unknown>): string => JSON.stringify(o);
  const request = (over: Record<string, unknown> = {}): string =>
    json({ tenantId: 'tenant-a', secretPath: 'ssn', secretType: 'deterministic', encryptedSecret: edek(primaryId), ...over });

  beforeEach(async () => {
    b = await startBroker();
    primaryId = await tenant('tenant-a', ['eu']);
    otherTenantConfigId = await tenant('tenant-b', ['eu']);
    await tenant('tenant-us', ['us']);
    await tenant('tenant-old', ['eu'], true);
    sa = await createServiceAccount(b, 'sa-eu', ['eu']);
  });
  afterEach(async () => {
    await b.close();
  });

  it('creates the Current secret (201); the next request gets that one (200, created false), never a second', async () => {
    const body = request();
    const first = await post(sa, body);
    expect(first.status).toBe(201);
    const c = first.body as Created;
    const sent = (JSON.parse(body) as { encryptedSecret: string }).encryptedSecret;
    expect(c).toEqual({ id: expect.any(Number), secretPath: 'ssn', secretType: 'deterministic', status: 'current', encryptedSecret: sent, created: true });

    // Another proxy's request with its own wrapped secret: the stored one comes back.
    const again = await post(sa, request());
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...c, created: false });
    // Another type or path of the same tenant is another secret.
    expect((await post(sa, request({ secretType: 'search' }))).status).toBe(201);
    const list = await b.repo.listTenantSecrets('tenant-a');
    expect(list.map((s) => [s.secretPath, s.secretType, s.status])).toEqual([
      ['ssn', 'deterministic', 'current'],
      ['ssn', 'search', 'current'],
    ]);
  });

  it('answers with the stored material: the winner of concurrent first requests (20, two service accounts) for every caller', async () => {
    const sa2 = await createServiceAccount(b, 'sa-all', []);
    const bodies = Array.from({ length: 20 }, () => request({ secretPath: 'email' }));
    const answers = await Promise.all(bodies.map((body, i) => post(i % 2 === 0 ? sa : sa2, body)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 201]);
    const winner = answers.find((a) => a.status === 201)!.body as Created;
    const winnerIndex = answers.findIndex((a) => a.status === 201);
    expect(winner.encryptedSecret).toBe((JSON.parse(bodies[winnerIndex]!) as { encryptedSecret: string }).encryptedSecret);
    for (const a of answers) expect(a.body).toEqual({ ...winner, created: a.status === 201 });
    expect((await b.repo.listTenantSecrets('tenant-a')).filter((s) => s.secretPath === 'email')).toHaveLength(1);
  });

  it('wakes long-polling document requests, whose new document carries the secret', async () => {
    const first = await b.raw('GET', DOC, { headers: { authorization: tspSaHeader(sa.id, sa.signingKey, DOC, nowSeconds()) } });
    const etag = first.headers.get('etag') ?? '';
    const waitPath = `${DOC}?wait=30`;
    const started = Date.now();
    const waiting = b.raw('GET', waitPath, { headers: { authorization: tspSaHeader(sa.id, sa.signingKey, waitPath, nowSeconds()), 'if-none-match': etag } });
    await waitFor(() => b.waiters() === 1);
    const created = (await post(sa, request())).body as Created;
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    const opened = openTenants(verifyConfigDocument(woken.text, b.brokerPublicKey, sa.id), sa.encryptionKey).find((t) => t.tenantId === 'tenant-a');
    if (opened === undefined || !opened.ok) throw new Error('tenant-a missing from the document');
    expect(opened.config.secrets).toEqual([{ id: created.id, secretPath: 'ssn', secretType: 'deterministic', status: 'current', encryptedSecret: created.encryptedSecret }]);
  });

  it('verifies the signature over the raw body bytes: another body, a GET-style signature, no signature or a replay is 401', async () => {
    const body = request();
    // Same JSON meaning, other bytes: the signature no longer matches.
    const spaced = body.replace('{', '{ ');
    const tampered = await post(sa, spaced, { signedBody: body });
    expect(tampered.status).toBe(401);
    expect(tampered.body).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('sig') });
    const otherSecret = await post(sa, request(), { signedBody: body });
    expect(otherSecret.status).toBe(401);
    // The GET form (no body hash) does not authorize a POST.
    expect((await post(sa, body, { authorization: tspSaHeader(sa.id, sa.signingKey, ROUTE, nowSeconds(), 'POST') })).status).toBe(401);
    // Authentication comes before validation: an unsigned invalid body learns nothing about the schema.
    const unsigned = await b.raw('POST', ROUTE, { body: json({ nonsense: true }), headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    const authorization = tspSaAuthorization(sa.id, sa.signingKey, 'POST', ROUTE, Buffer.from(body));
    expect((await post(sa, body, { authorization })).status).toBe(201);
    expect((await post(sa, body, { authorization })).body).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('replay') });
    expect(await b.repo.listTenantSecrets('tenant-a')).toHaveLength(1);
  });

  it('refuses tenants the account does not serve (404), archived tenants (403) and a revoked account (403)', async () => {
    for (const tenantId of ['tenant-us', 'no-such-tenant']) {
      const res = await post(sa, request({ tenantId }));
      expect(res.status).toBe(404);
      expect((res.body as { message: string }).message).toContain('tenantId');
    }
    const archived = await post(sa, request({ tenantId: 'tenant-old' }));
    expect(archived.status).toBe(403);
    expect((archived.body as { message: string }).message).toMatch(/tenantId.*archived/);
    expect((await b.admin('POST', '/api/v1/service-accounts/sa-eu/revoke')).status).toBe(200);
    expect((await post(sa, request())).status).toBe(403);
    for (const t of ['tenant-a', 'tenant-us', 'tenant-old']) expect(await b.repo.listTenantSecrets(t)).toEqual([]);
  });

  it("refuses an encryptedSecret that is not an EncryptedDeks of an active config of the tenant (400 naming the field)", async () => {
    const inactive = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', { type: 'local', keyPath: { name: 'off' }, credentials: { kek: KEK }, active: false });
    const cases: [string, RegExp][] = [
      [Buffer.from('not a protobuf at all').toString('base64'), /encryptedSecret is not a base64 EncryptedDeks/],
      [edek(otherTenantConfigId), new RegExp(`encryptedSecret.*kmsConfigId ${otherTenantConfigId} is not an active KMS config of tenant 'tenant-a'`)],
      [edek((inactive.body as { id: number }).id), /encryptedSecret.*is not an active KMS config/],
      [edek(999999), /encryptedSecret.*kmsConfigId 999999/],
      ['***', /encryptedSecret/],
    ];
    for (const [encryptedSecret, message] of cases) {
      const res = await post(sa, request({ encryptedSecret }));
      expect(res.status).toBe(400);
      expect((res.body as { message: string }).message).toMatch(message);
      expect(res.text).not.toContain(encryptedSecret === '***' ? 'never' : encryptedSecret);
    }
    expect((await post(sa, request({ secretType: 'weird' }))).body).toMatchObject({ code: 'invalid-request', message: expect.stringContaining('secretType') });
    expect((await post(sa, request({ extra: 1 }))).body).toMatchObject({ code: 'invalid-request', message: expect.stringContaining('extra') });
    expect((await post(sa, request({ secretPath: '' }))).body).toMatchObject({ code: 'invalid-request', message: expect.stringContaining('secretPath') });
    expect((await post(sa, '{"tenantId":')).body).toMatchObject({ code: 'invalid-request', message: 'Request body is not valid JSON' });
    expect((await post(sa, 'tenantId=tenant-a', { contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(await b.repo.listTenantSecrets('tenant-a')).toEqual([]);
  });

  it('leaves the admin API as it was: admin routes still parse JSON and refuse a service account signature', async () => {
    expect((await b.admin('POST', '/api/v1/tenants', { id: 'tenant-c', name: 'C' })).status).toBe(201);
    const list = await b.admin('GET', '/api/v1/tenants/tenant-a/secrets', undefined, { authorization: tspSaHeader(sa.id, sa.signingKey, '/api/v1/tenants/tenant-a/secrets', nowSeconds()) });
    expect(list.status).toBe(401);
    const secrets = (await b.admin('GET', '/api/v1/tenants/tenant-a/secrets')).body as { secrets: TenantSecretView[] };
    expect(secrets.secrets).toEqual([]);
  });
});

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
