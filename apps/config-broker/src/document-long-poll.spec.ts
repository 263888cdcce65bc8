import { verifyConfigDocument } from '@tsp/config-crypto';
import { BrokerHarness, startBroker } from './testing/broker-harness';
import { createServiceAccount, nowSeconds, TestServiceAccount, tspSaHeader } from './testing/service-account-client';

const PATH = '/api/v1/config-document';

interface Polled {
  status: number;
  etag: string | null;
  retryAfter: string | null;
  text: string;
  /** ms since the request was sent. */
  elapsedMs: number;
  /** Date.now() when the answer arrived. */
  at: number;
}

/** A signed GET of the document, optionally long-polling (`wait`) with an ETag. */
async function poll(b: BrokerHarness, sa: TestServiceAccount, query: string, etag?: string, signal?: AbortSignal): Promise<Polled> {
  const pathAndQuery = `${PATH}${query}`;
  const headers: Record<string, string> = { authorization: tspSaHeader(sa.id, sa.signingKey, pathAndQuery, nowSeconds()) };
  if (etag !== undefined) headers['if-none-match'] = etag;
  const started = Date.now();
  const res = await fetch(`${b.url}${pathAndQuery}`, { headers, ...(signal !== undefined ? { signal } : {}) });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), retryAfter: res.headers.get('retry-after'), text, elapsedMs: Date.now() - started, at: Date.now() };
}

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(b: BrokerHarness): Promise<{ sa: TestServiceAccount; etag: string }> {
  expect((await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A', tags: ['eu'] })).status).toBe(201);
  const sa = await createServiceAccount(b, 'sa-1', []);
  const first = await poll(b, sa, '');
  expect(first.status).toBe(200);
  return { sa, etag: first.etag! };
}

describe('GET config-document?wait= (long poll)', () => {
  let b: BrokerHarness;
  let sa: TestServiceAccount;
  let etag: string;
  beforeEach(async () => {
    b = await startBroker();
    ({ sa, etag } = await setup(b));
  });
  afterEach(async () => {
    await b.close();
  });

  it('answers 200 with the new document within ~100 ms of a write through the admin API', async () => {
    const waiting = poll(b, sa, '?wait=30', etag);
    await until(() => b.waiters() === 1);
    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-a', { name: 'A renamed' })).status).toBe(200);
    const wroteAt = Date.now();
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.at - wroteAt).toBeLessThan(100);
    expect(res.etag).not.toBe(etag);
    const payload = verifyConfigDocument(res.text, b.brokerPublicKey, 'sa-1');
    expect(payload.sequence).toBe(await b.repo.sequence());
    expect(b.waiters()).toBe(0);
    // The new ETag is current: a plain conditional fetch is a 304 with it.
    expect((await poll(b, sa, '', res.etag!)).status).toBe(304);
  });

  it('times out with 304 and the same ETag after `wait` seconds, reading only the sequence meanwhile', async () => {
    const scans = b.repo.calls['tenantsForDocument'];
    const reads = b.repo.calls['sequence'] ?? 0;
    const res = await poll(b, sa, '?wait=1', etag);
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.etag).toBe(etag);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(950);
    expect(res.elapsedMs).toBeLessThan(1600);
    expect(b.repo.calls['tenantsForDocument']).toBe(scans);
    // One read on arrival, at most one or two poll ticks.
    expect((b.repo.calls['sequence'] ?? 0) - reads).toBeLessThanOrEqual(3);
    expect(b.waiters()).toBe(0);
  });

  it('sees a write made on the repository directly (another broker instance) within ~1.5 s', async () => {
    const waiting = poll(b, sa, '?wait=10', etag);
    await until(() => b.waiters() === 1);
    await b.repo.createTenant({ id: 'tenant-b', name: 'B' }, { actor: { kind: 'system', id: 'test' } });
    const wroteAt = Date.now();
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.at - wroteAt).toBeLessThan(1500);
    expect(Object.keys(verifyConfigDocument(res.text, b.brokerPublicKey, 'sa-1').tenants).sort()).toEqual(['tenant-a', 'tenant-b']);
  });

  it('drops the waiter of a client that disconnects', async () => {
    const ac = new AbortController();
    const waiting = poll(b, sa, '?wait=30', etag, ac.signal).catch((e: unknown) => e);
    await until(() => b.waiters() === 1);
    ac.abort();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    await until(() => b.waiters() === 0, 1000);
    // The broker still serves and wakes other waiters.
    const next = poll(b, sa, '?wait=30', etag);
    await until(() => b.waiters() === 1);
    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-a', { tags: ['us'] })).status).toBe(200);
    expect((await next).status).toBe(200);
  });

  it('answers at once without a matching ETag, and 304 at once without wait', async () => {
    const fresh = await poll(b, sa, '?wait=30', '"old"');
    expect(fresh.status).toBe(200);
    expect(fresh.elapsedMs).toBeLessThan(1000);
    const unchanged = await poll(b, sa, '', etag);
    expect(unchanged.status).toBe(304);
    expect(unchanged.elapsedMs).toBeLessThan(1000);
  });

  it('refuses a wait that is not one integer from 1 to 60 with 400 naming wait', async () => {
    for (const q of ['?wait=0', '?wait=61', '?wait=x', '?wait=', '?wait=1.5', '?wait=-1', '?wait=1&wait=2']) {
      const res = await poll(b, sa, q, etag);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({ code: 'invalid-request', message: 'wait must be one integer from 1 to 60 (seconds)' });
    }
    expect((await poll(b, sa, '?wait=60', '"old"')).status).toBe(200);
  });

  it('answers 403 when the account is revoked while it waits', async () => {
    const waiting = poll(b, sa, '?wait=30', etag);
    await until(() => b.waiters() === 1);
    expect((await b.admin('POST', '/api/v1/service-accounts/sa-1/revoke')).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ code: 'forbidden', message: 'the service account is revoked' });
  });
});

describe('long-poll limits and shutdown', () => {
  it('answers 503 with Retry-After: 1 beyond the waiter cap', async () => {
    const b = await startBroker({ maxDocumentWaiters: 1 });
    try {
      const { sa, etag } = await setup(b);
      const first = poll(b, sa, '?wait=30', etag);
      await until(() => b.waiters() === 1);
      const refused = await poll(b, sa, '?wait=30', etag);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(JSON.parse(refused.text)).toEqual({ code: 'unavailable', message: 'too many config document requests are waiting; retry later' });
      expect((await b.admin('PATCH', '/api/v1/tenants/tenant-a', { name: 'A2' })).status).toBe(200);
      expect((await first).status).toBe(200);
    } finally {
      await b.close();
    }
  });

  it('answers waiters with 304 when the app closes, so shutdown is prompt', async () => {
    const b = await startBroker();
    const { sa, etag } = await setup(b);
    const waiting = [poll(b, sa, '?wait=60', etag), poll(b, sa, '?wait=60', etag)];
    await until(() => b.waiters() === 2);
    const started = Date.now();
    await b.close();
    const answers = await Promise.all(waiting);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answers.map((a) => [a.status, a.etag])).toEqual([
      [304, etag],
      [304, etag],
    ]);
    expect(b.waiters()).toBe(0);
  });
});
