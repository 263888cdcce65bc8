import {
  CustomSecurityEvent,
  DocumentMetadata,
  EventMetadata,
  TenantSecurityClient,
  TenantSecurityException,
  UserEvent,
} from '@ironcorelabs/tenant-security-nodejs';
import { freePort, GatedIntake, ProxyProcess, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';

/**
 * Strict audit mode (TSP_AUDIT_MODE=strict), driven through the unmodified Node Tenant Security
 * Client against the built proxy: a key operation answers only after the logdriver intake
 * acknowledged its event; when that cannot happen in time the call fails with 301 and no key.
 */
let env: TestEnvironment;
const intake = new GatedIntake();
const failingIntake = new GatedIntake();
/** Strict, working intake. */
let strict: ProxyProcess;
/** Strict, nothing listens at LOGDRIVER_URL, 500 ms timeout. */
let down: ProxyProcess;
/** Strict, the intake answers 503 to everything, 500 ms timeout. */
let failing: ProxyProcess;
/** Best effort, nothing listens at LOGDRIVER_URL. */
let bestEffort: ProxyProcess;

const DOWN_TIMEOUT_MS = 500;
const doc = (): Record<string, Buffer> => ({ field1: Buffer.from('strict secret'), field2: Buffer.from('second') });
const meta = (requestId: string, tenantId = 'demo-tenant-1'): DocumentMetadata => new DocumentMetadata(tenantId, 'strict-e2e', 'PII', undefined, undefined, requestId);
const client = (p: ProxyProcess): TenantSecurityClient => new TenantSecurityClient(p.url, env.apiKey);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A call's outcome and when (Date.now()) the client saw it, observable while pending. */
function track<T>(p: Promise<T>): { done: Promise<T>; settledAt?: number; error?: TenantSecurityException } {
  const t: { done: Promise<T>; settledAt?: number; error?: TenantSecurityException } = { done: p };
  p.then(
    () => (t.settledAt = Date.now()),
    (e: unknown) => {
      t.settledAt = Date.now();
      t.error = e as TenantSecurityException;
    },
  );
  return t;
}

/** The error a client call fails with (and how long it took); fails the test if it succeeds. */
async function failure(p: Promise<unknown>): Promise<{ error: TenantSecurityException; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (e) {
    return { error: e as TenantSecurityException, ms: Date.now() - started };
  }
  throw new Error('expected the call to fail');
}

async function queueDepth(p: ProxyProcess): Promise<number> {
  const health = (await (await fetch(`${p.healthUrl}/health`)).json()) as { events: { queueDepth: number } };
  return health.events.queueDepth;
}

async function metric(p: ProxyProcess, line: RegExp): Promise<number> {
  const text = await (await fetch(`${p.healthUrl}/metrics`)).text();
  const m = line.exec(text);
  return m === null ? 0 : Number(m[1]);
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  const sa = env.env.serviceAccountFile;
  const closed = `http://127.0.0.1:${await freePort()}`;
  [strict, down, failing, bestEffort] = await Promise.all([
    intake.start().then((url) => startProxy({ serviceAccountFile: sa, env: { LOGDRIVER_URL: url, TSP_AUDIT_MODE: 'strict', TSP_AUDIT_STRICT_TIMEOUT_MS: '5000' } })),
    startProxy({ serviceAccountFile: sa, env: { LOGDRIVER_URL: closed, TSP_AUDIT_MODE: 'strict', TSP_AUDIT_STRICT_TIMEOUT_MS: String(DOWN_TIMEOUT_MS) } }),
    failingIntake.start().then((url) => startProxy({ serviceAccountFile: sa, env: { LOGDRIVER_URL: url, TSP_AUDIT_MODE: 'strict', TSP_AUDIT_STRICT_TIMEOUT_MS: String(DOWN_TIMEOUT_MS) } })),
    startProxy({ serviceAccountFile: sa, env: { LOGDRIVER_URL: closed } }),
  ]);
  failingIntake.failing = true;
}, 60000);

afterAll(async () => {
  await Promise.all([strict, down, failing, bestEffort].map((p) => p?.stop('SIGKILL')));
  await Promise.all([intake.stop(), failingIntake.stop()]);
  env?.remove();
});

describe('strict, the logdriver acknowledges', () => {
  test('a wrap answers only after the intake acknowledged its event; so does the unwrap', async () => {
    intake.hold();
    const wrap = track(client(strict).encryptDocument(doc(), meta('hold-wrap')));
    await waitUntil(() => intake.heldCount >= 1, 5000, 'the wrap event at the intake');
    await sleep(300);
    expect(wrap.settledAt).toBeUndefined();
    intake.release();
    const enc = await wrap.done;
    const ackedAt = intake.acknowledgedAt('hold-wrap');
    expect(ackedAt).toBeDefined();
    expect(ackedAt).toBeLessThanOrEqual(wrap.settledAt ?? 0);
    expect(intake.acknowledged().find((e) => e.iclFields.requestId === 'hold-wrap')).toMatchObject({ tenantId: 'demo-tenant-1', iclFields: { event: 'KMS_WRAP_KEY' } });

    intake.hold();
    const unwrap = track(client(strict).decryptDocument(enc, meta('hold-unwrap')));
    await waitUntil(() => intake.heldCount >= 1, 5000, 'the unwrap event at the intake');
    await sleep(300);
    expect(unwrap.settledAt).toBeUndefined();
    intake.release();
    expect((await unwrap.done).plaintextDocument.field1.toString()).toBe('strict secret');
    expect(intake.acknowledgedAt('hold-unwrap')).toBeLessThanOrEqual(unwrap.settledAt ?? 0);
  });

  test('group commit: 40 concurrent wraps share one logdriver request behind the one in flight', async () => {
    const before = intake.requests;
    intake.hold();
    const calls = Array.from({ length: 40 }, (_, i) => ({ id: `group-${i}`, call: track(client(strict).encryptDocument(doc(), meta(`group-${i}`))) }));
    // All 40 events are either in the held request or queued behind it.
    await waitUntil(async () => intake.heldEvents + (await queueDepth(strict)) >= 40, 10000, '40 events held or queued');
    expect(calls.every((c) => c.call.settledAt === undefined)).toBe(true);
    intake.release();
    await Promise.all(calls.map((c) => c.call.done));
    expect(intake.requests - before).toBe(2);
    for (const c of calls) expect(intake.acknowledgedAt(c.id)).toBeLessThanOrEqual(c.call.settledAt ?? 0);
    expect(await metric(strict, /^tsp_strict_audit_wait_seconds_count\{outcome="acknowledged"\} (\d+)$/m)).toBeGreaterThanOrEqual(42);
  });

  test('batch, rekey and application events wait for their acknowledgement too', async () => {
    const batch = await client(strict).encryptDocumentBatch({ a: doc(), b: doc() }, meta('batch-1'));
    expect(batch.hasFailures).toBe(false);
    const rekeyed = await client(strict).rekeyEdek(batch.successes.a.edek, 'demo-tenant-2', meta('rekey-1'));
    expect(typeof rekeyed).toBe('string');
    intake.hold();
    const event = track(client(strict).logSecurityEvent(UserEvent.LOGIN, new EventMetadata('demo-tenant-1', 'user-7', 'PII', undefined, undefined, undefined, 'app-1')));
    await waitUntil(() => intake.heldCount >= 1, 5000, 'the application event at the intake');
    await sleep(200);
    expect(event.settledAt).toBeUndefined();
    intake.release();
    await event.done;
    const names = intake.acknowledged().filter((e) => ['batch-1', 'rekey-1', 'app-1'].includes(e.iclFields.requestId ?? '')).map((e) => `${e.iclFields.event}/${e.tenantId}`);
    expect(names.sort()).toEqual(['KMS_BATCH_WRAP_KEY/demo-tenant-1', 'KMS_REKEY_KEY/demo-tenant-1', 'KMS_REKEY_KEY/demo-tenant-2', 'USER_LOGIN/demo-tenant-1']);
  });

  test('a logdriver that fails for a moment: the batch is retried and the wrap succeeds within the timeout', async () => {
    intake.failing = true;
    const wrap = track(client(strict).encryptDocument(doc(), meta('retry-1')));
    await waitUntil(() => intake.failed >= 2, 5000, 'two failed sends');
    expect(wrap.settledAt).toBeUndefined();
    intake.failing = false;
    await wrap.done;
    expect(intake.acknowledgedAt('retry-1')).toBeLessThanOrEqual(wrap.settledAt ?? 0);
  });
});

describe('strict, the logdriver does not acknowledge', () => {
  test('logdriver down: wrap, unwrap, batch, rekey and events fail with 301 within the timeout', async () => {
    const enc = await client(bestEffort).encryptDocument(doc(), meta('made-elsewhere'));
    const c = client(down);
    const results = await Promise.all([
      failure(c.encryptDocument(doc(), meta('down-wrap'))),
      failure(c.decryptDocument(enc, meta('down-unwrap'))),
      failure(c.encryptDocumentBatch({ a: doc() }, meta('down-batch'))),
      failure(c.rekeyEdek(enc.edek, 'demo-tenant-2', meta('down-rekey'))),
      failure(c.logSecurityEvent(new CustomSecurityEvent('STRICT_TEST'), new EventMetadata('demo-tenant-1', 'user-9'))),
    ]);
    for (const { error, ms } of results) {
      expect(error.errorCode).toBe(301);
      expect(error.httpResponseCode).toBe(503);
      expect(error.message).toContain(`did not acknowledge the event within ${DOWN_TIMEOUT_MS} ms`);
      expect(ms).toBeGreaterThanOrEqual(DOWN_TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(DOWN_TIMEOUT_MS + 2500);
    }
    // Counted per event: five requests, the rekey waited for two events.
    expect(await metric(down, /^tsp_strict_audit_failures_total\{reason="timeout"\} (\d+)$/m)).toBe(6);
  });

  test('on the wire: 503 with code 301 and no key material, for unwrap and derive alike', async () => {
    const enc = await client(bestEffort).encryptDocument(doc(), meta('made-elsewhere-2'));
    const post = (route: string, body: unknown) =>
      fetch(`${down.url}/api/1/${route}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `cmk ${env.apiKey}` }, body: JSON.stringify(body) });
    const [unwrap, derive] = await Promise.all([
      post('document/unwrap', { tenantId: 'demo-tenant-1', iclFields: { requestingId: 'wire' }, encryptedDocumentKey: enc.edek }),
      post('key/derive-with-secret-path', { tenantId: 'demo-tenant-1', iclFields: { requestingId: 'wire' }, paths: { ssn: ['users.ssn'] }, derivationType: 'sha512', secretType: 'deterministic' }),
    ]);
    for (const res of [unwrap, derive]) {
      expect(res.status).toBe(503);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'message']);
      expect(body.code).toBe(301);
      expect(body.message).toMatch(/^Security event rejected \(strict audit mode\): /);
    }
  });

  test('logdriver answering 503: the wrap fails with 301 within the timeout; the intake saw retries', async () => {
    const { error, ms } = await failure(client(failing).encryptDocument(doc(), meta('failing-wrap')));
    expect(error.errorCode).toBe(301);
    expect(ms).toBeLessThan(DOWN_TIMEOUT_MS + 2500);
    expect(failingIntake.failed).toBeGreaterThanOrEqual(2);
    expect(failingIntake.acknowledged()).toEqual([]);
  });
});

test('best effort with the logdriver down: wrap, unwrap and events still succeed at once', async () => {
  const c = client(bestEffort);
  const started = Date.now();
  const enc = await c.encryptDocument(doc(), meta('be-wrap'));
  expect((await c.decryptDocument(enc, meta('be-unwrap'))).plaintextDocument.field1.toString()).toBe('strict secret');
  await c.logSecurityEvent(UserEvent.LOGOUT, new EventMetadata('demo-tenant-1', 'user-1'));
  expect(Date.now() - started).toBeLessThan(2000);
  // No strict metrics in best-effort mode.
  expect(await (await fetch(`${bestEffort.healthUrl}/metrics`)).text()).not.toContain('tsp_strict_audit');
});

test('strict mode without LOGDRIVER_URL stops startup, naming both settings', async () => {
  const p = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_AUDIT_MODE: 'strict' }, expectExit: true });
  expect(p.child.exitCode).toBe(1);
  expect(p.stderr()).toContain('TSP_AUDIT_MODE=strict requires LOGDRIVER_URL');
});
