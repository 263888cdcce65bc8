import { gzipSync } from 'node:zlib';
import { LoopbackAnswer, requestLoopback } from '@tsp/fake-support';
import { FakeDatadog, startFakeDatadog } from './fake-server';

const KEY = 'fake-dd-key-0123456789';

const call = (url: string, method: string, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<LoopbackAnswer> =>
  requestLoopback(`${url}${path}`, { method, body, headers });

const json = { 'content-type': 'application/json', 'dd-api-key': KEY };
const logs = (n: number, message = 'm'): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ message: `${message}${i}` })));

describe('fake datadog logs intake', () => {
  let fake: FakeDatadog;
  beforeAll(async () => {
    fake = await startFakeDatadog({ apiKeys: [KEY] });
  });
  afterEach(() => fake.clearFaults());
  afterAll(() => fake.stop());

  it('accepts an array or one object with 202 {}, plain or gzip, filling attributes from the query', async () => {
    const before = fake.received().length;
    const plain = await call(fake.url, 'POST', '/api/v2/logs?ddtags=env:test&service=q', JSON.stringify([{ message: 'a', service: 's' }]), json);
    expect([plain.status, plain.body]).toEqual([202, '{}']);
    const gz = await call(fake.url, 'POST', '/api/v2/logs', gzipSync(JSON.stringify({ message: 'b' })), { ...json, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(202);
    expect(fake.received().slice(before)).toEqual([{ message: 'a', service: 's', ddtags: 'env:test' }, { message: 'b' }]);
  });

  it('401 without a key, 403 with a wrong one, stored nothing', async () => {
    const before = fake.received().length;
    const missing = await call(fake.url, 'POST', '/api/v2/logs', logs(1), { 'content-type': 'application/json' });
    expect([missing.status, JSON.parse(missing.body)]).toEqual([401, { errors: ['Unauthorized'] }]);
    const wrong = await call(fake.url, 'POST', '/api/v2/logs', logs(1), { ...json, 'dd-api-key': 'nope-nope' });
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([403, { errors: ['Forbidden'] }]);
    expect(fake.requests().slice(-2).map((r) => r.apiKey)).toEqual(['missing', 'invalid']);
    expect(fake.received().length).toBe(before);
  });

  it('enforces the documented limits: 1000 entries, 5 MB uncompressed (also when gzipped); truncates a log over 1 MB', async () => {
    expect((await call(fake.url, 'POST', '/api/v2/logs', logs(1001), json)).status).toBe(413);
    const huge = JSON.stringify([{ message: 'x'.repeat(5_000_100) }]);
    const tooBig = await call(fake.url, 'POST', '/api/v2/logs', huge, json);
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body)).toMatchObject({ errors: [{ status: '413', title: 'Payload Too Large' }] });
    expect((await call(fake.url, 'POST', '/api/v2/logs', gzipSync(huge), { ...json, 'content-encoding': 'gzip' })).status).toBe(413);
    const big = await call(fake.url, 'POST', '/api/v2/logs', JSON.stringify([{ message: 'y'.repeat(1_200_000) }, { message: 'small' }]), json);
    expect(big.status).toBe(202);
    const [first, second] = fake.received().slice(-2);
    expect(first.truncated).toBe(true);
    expect(String(first.message).length).toBeLessThan(1_000_000);
    expect(second).toEqual({ message: 'small' });
  });

  it('400 for malformed JSON, non-object entries, broken gzip, other content types; 404 and 405 elsewhere', async () => {
    expect((await call(fake.url, 'POST', '/api/v2/logs', '[{', json)).status).toBe(400);
    expect((await call(fake.url, 'POST', '/api/v2/logs', '["text"]', json)).status).toBe(400);
    expect((await call(fake.url, 'POST', '/api/v2/logs', Buffer.from('not gzip'), { ...json, 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await call(fake.url, 'POST', '/api/v2/logs', logs(1), { ...json, 'content-type': 'text/csv' })).status).toBe(400);
    expect((await call(fake.url, 'POST', '/v1/other', logs(1), json)).status).toBe(404);
    expect((await call(fake.url, 'GET', '/api/v2/logs', '', json)).status).toBe(405);
  });

  it('throttles with Retry-After and X-RateLimit-* headers, per request, also through the control API', async () => {
    expect((await call(fake.url, 'POST', '/_fake/faults', JSON.stringify({ kind: 'throttle', retryAfterSeconds: 9, times: 1 }), {})).status).toBe(200);
    const t = await call(fake.url, 'POST', '/api/v2/logs', logs(1), json);
    expect(t.status).toBe(429);
    expect(t.headers).toMatchObject({ 'retry-after': '9', 'x-ratelimit-reset': '9', 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '1000', 'x-ratelimit-period': '60' });
    expect((await call(fake.url, 'POST', '/api/v2/logs', logs(1), json)).status).toBe(202);
    expect((await call(fake.url, 'POST', '/_fake/faults', JSON.stringify({ kind: 'throttle', colour: 1 }), {})).status).toBe(400);
    for (const [kind, status] of [['unavailable', 503], ['error', 500], ['timeout', 408], ['bad-request', 400]] as const) {
      fake.addFault({ kind, times: 1 });
      expect((await call(fake.url, 'POST', '/api/v2/logs', logs(1), json)).status).toBe(status);
    }
    fake.addFault({ kind: 'drop', times: 1 });
    await expect(call(fake.url, 'POST', '/api/v2/logs', logs(1), json)).rejects.toThrow();
  });

  it('delays answers by the injected latency (control API)', async () => {
    expect((await call(fake.url, 'PUT', '/_fake/latency', JSON.stringify({ ms: 200 }), {})).status).toBe(200);
    const started = Date.now();
    await call(fake.url, 'POST', '/api/v2/logs', logs(1), json);
    fake.setLatency(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('generates an API key when none is configured', async () => {
    const other = await startFakeDatadog();
    try {
      expect(other.apiKey).toMatch(/^[0-9a-f]{32}$/);
      expect((await call(other.url, 'POST', '/api/v2/logs', logs(1), { ...json, 'dd-api-key': other.apiKey })).status).toBe(202);
    } finally {
      await other.stop();
    }
  });
});
