import { createSign } from 'node:crypto';
import { FakeGoogleCloudLogging, startFakeGoogleCloudLogging } from './fake-server';

/** Raw-protocol tests of the fake (the sink's spec drives it through the real SDK). */
let fake: FakeGoogleCloudLogging;
let token: string;
const LOG = 'projects/p-123456/logs/tsp%2Fevents';
const WRITE = '/v2/entries:write?$alt=json%3Benum-encoding=int';

function assertion(privateKey: string, email: string, aud: string, scope = 'https://www.googleapis.com/auth/cloud-platform'): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: email, scope, aud, iat: now, exp: now + 3600 })}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`;
}

async function getToken(f: FakeGoogleCloudLogging): Promise<Response> {
  const sa = f.serviceAccount!;
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sa.private_key, sa.client_email, f.tokenUri) });
  return fetch(f.tokenUri, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

async function write(body: unknown, auth = `Bearer ${token}`): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${fake.url}${WRITE}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

const entry = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  insertId: id,
  timestamp: '2026-05-28T20:26:40.005Z',
  severity: 300,
  jsonPayload: { id },
  ...extra,
});
const request = (entries: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  logName: LOG,
  resource: { type: 'global', labels: {} },
  labels: { tenantId: 't1' },
  entries,
  partialSuccess: true,
  ...extra,
});

beforeAll(async () => {
  fake = await startFakeGoogleCloudLogging();
  const res = await getToken(fake);
  expect(res.status).toBe(200);
  token = ((await res.json()) as { access_token: string }).access_token;
});
afterEach(() => fake.clearFaults());
afterAll(() => fake.stop());

it('issues an access token for a JWT signed by the service account key, and refuses a wrong audience', async () => {
  expect(token).toMatch(/^ya29\./);
  const sa = fake.serviceAccount!;
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sa.private_key, sa.client_email, 'https://example.invalid/token') });
  const res = await fetch(fake.tokenUri, { method: 'POST', body: form });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
});

it('answers 401 UNAUTHENTICATED with WWW-Authenticate without a valid bearer token', async () => {
  const r = await write(request([entry('a')]), 'Bearer ya29.not-issued');
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toContain('Bearer');
  expect(r.json).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  expect(fake.entries().map((e) => e.insertId)).not.toContain('a');
});

it('stores entries with the request-level logName, resource and labels, and answers {}', async () => {
  const r = await write(request([entry('w1'), entry('w2', { severity: 'INFO', labels: { x: 'y' } })]));
  expect(r).toMatchObject({ status: 200, json: {} });
  const stored = fake.entries().filter((e) => e.insertId.startsWith('w'));
  expect(stored).toEqual([
    expect.objectContaining({ logName: LOG, resource: { type: 'global', labels: {} }, labels: { tenantId: 't1' }, severity: 'NOTICE', timestamp: '2026-05-28T20:26:40.005Z', jsonPayload: { id: 'w1' } }),
    expect.objectContaining({ severity: 'INFO', labels: { tenantId: 't1', x: 'y' } }),
  ]);
  expect(fake.requests().at(-1)).toMatchObject({ path: '/v2/entries:write', query: '?$alt=json;enum-encoding=int', httpStatus: 200 });
});

it('de-duplicates an entry with the insertId and timestamp of a stored one', async () => {
  await write(request([entry('dup')]));
  expect((await write(request([entry('dup')]))).status).toBe(200);
  expect(fake.entries().filter((e) => e.insertId === 'dup')).toHaveLength(1);
});

it('refuses an unknown field as Google does (400 INVALID_ARGUMENT, nothing stored)', async () => {
  const r = await write(request([entry('u1')], { bogus: 1 }));
  expect(r.status).toBe(400);
  expect(r.json).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('Unknown name "bogus"') } });
  expect(fake.entries().map((e) => e.insertId)).not.toContain('u1');
});

it('answers per-entry failures with WriteLogEntriesPartialErrors, writing the valid ones only with partialSuccess', async () => {
  const big = 'x'.repeat(300 * 1024);
  const bad = [entry('p0'), entry('p1', { jsonPayload: { big } }), entry('p2', { logName: 'projects/p/logs/bad name' })];
  const r = await write(request(bad));
  expect(r.status).toBe(400);
  const err = r.json['error'] as { status: string; message: string; details: Array<Record<string, unknown>> };
  expect(err.status).toBe('INVALID_ARGUMENT');
  expect(err.message).toMatch(/^Log entry with size 300\.\dK exceeds maximum size of 256\.0K$/);
  expect(err.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors', logEntryErrors: { '1': { code: 3 }, '2': { code: 3 } } });
  expect(fake.entries().map((e) => e.insertId)).toContain('p0');
  const none = await write(request([entry('q0'), entry('q1', { jsonPayload: { big } })], { partialSuccess: false }));
  expect(none.status).toBe(400);
  expect(fake.entries().map((e) => e.insertId)).not.toContain('q0');
});

it('injects partial failures by index (INVALID_ARGUMENT to reject, UNAVAILABLE to retry)', async () => {
  fake.inject({ kind: 'partial', rejectIndices: [0], retryIndices: [2] });
  const r = await write(request([entry('i0'), entry('i1'), entry('i2')]));
  const details = (r.json['error'] as { details: Array<{ logEntryErrors: Record<string, { code: number }> }> }).details;
  expect(details[0].logEntryErrors).toEqual({ '0': { code: 3, message: expect.any(String) }, '2': { code: 14, message: expect.any(String) } });
  expect(fake.entries().map((e) => e.insertId).filter((id) => id.startsWith('i'))).toEqual(['i1']);
});

it('throttles with 429 RESOURCE_EXHAUSTED, Retry-After and google.rpc.RetryInfo', async () => {
  fake.inject({ kind: 'throttle', retryAfterSeconds: 9 });
  const r = await write(request([entry('t0')]));
  expect(r.status).toBe(429);
  expect(r.headers.get('retry-after')).toBe('9');
  expect(r.json).toMatchObject({
    error: { status: 'RESOURCE_EXHAUSTED', details: expect.arrayContaining([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '9s' }]) },
  });
});

it('applies a fault to the next N requests only, and latency to every request', async () => {
  fake.inject({ kind: 'unavailable' }, 1);
  expect((await write(request([entry('n0')]))).status).toBe(503);
  expect((await write(request([entry('n0')]))).status).toBe(200);
  fake.setLatency(150);
  const started = Date.now();
  await write(request([entry('n1')]));
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  fake.setLatency(0);
});

it('drops the connection on the drop fault', async () => {
  fake.inject({ kind: 'drop' });
  await expect(write(request([entry('d0')]))).rejects.toThrow();
});

it('answers an unknown path with Google 404 and serves the control API', async () => {
  const res = await fetch(`${fake.url}/v2/entries:list`, { method: 'POST', body: '{}' });
  expect(res.status).toBe(404);
  const c = await fetch(`${fake.url}/__control/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'permission-denied' }, times: 1 }) });
  expect(c.status).toBe(200);
  expect((await write(request([entry('c0')]))).json).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  const bad = await fetch(`${fake.url}/__control/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'nope' } }) });
  expect(bad.status).toBe(400);
  const stored = (await (await fetch(`${fake.url}/__control/entries`)).json()) as { entries: unknown[] };
  expect(stored.entries.length).toBe(fake.entries().length);
  await fetch(`${fake.url}/__control/revoke-tokens`, { method: 'POST' });
  expect((await write(request([entry('c1')]))).status).toBe(401);
  token = ((await (await getToken(fake)).json()) as { access_token: string }).access_token;
});
