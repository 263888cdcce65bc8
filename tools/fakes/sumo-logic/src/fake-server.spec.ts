import { deflateSync, gzipSync } from 'node:zlib';
import { FakeSumoLogic, startFakeSumoLogic } from './fake-server';
import { sumoFaultProblems } from './faults';

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

describe('fake Sumo Logic HTTP source', () => {
  let fake: FakeSumoLogic;
  beforeAll(async () => {
    fake = await startFakeSumoLogic({ tokens: ['tok-a', 'tok-b'], maxPayloadBytes: 2048 });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.clearReceived();
  });
  afterAll(() => fake.stop());

  it('ingests newline-delimited lines, plain, gzip and deflate, with the metadata headers', async () => {
    expect((await post(fake.sourceUrl(), 'one\r\ntwo\n\n', { 'X-Sumo-Category': 'c', 'X-Sumo-Name': 'n', 'X-Sumo-Host': 'h' })).status).toBe(200);
    expect((await post(fake.sourceUrl('tok-b'), gzipSync('three\n'), { 'Content-Encoding': 'gzip' })).status).toBe(200);
    expect((await post(fake.sourceUrl(), deflateSync('four'), { 'Content-Encoding': 'deflate' })).status).toBe(200);
    expect(fake.received()).toEqual([
      { line: 'one', category: 'c', name: 'n', host: 'h' },
      { line: 'two', category: 'c', name: 'n', host: 'h' },
      { line: 'three', category: undefined, name: undefined, host: undefined },
      { line: 'four', category: undefined, name: undefined, host: undefined },
    ]);
    expect(fake.requests().map((r) => r.path)).toEqual(['/receiver/v1/http/<token #0>', '/receiver/v1/http/<token #1>', '/receiver/v1/http/<token #0>']);
  });

  it('answers 401 for an unknown or revoked token, 400 for a broken gzip, 413 over the payload limit', async () => {
    expect((await post(`${fake.url}/receiver/v1/http/nope`, 'x')).status).toBe(401);
    expect((await post(fake.sourceUrl(), 'not gzip', { 'Content-Encoding': 'gzip' })).status).toBe(400);
    expect((await post(fake.sourceUrl(), 'y'.repeat(2049))).status).toBe(413);
    expect((await post(fake.sourceUrl(), gzipSync('z'.repeat(4000)), { 'Content-Encoding': 'gzip' })).status).toBe(413);
    const other = await startFakeSumoLogic({ tokens: ['tok-c'] });
    try {
      other.revoke('tok-c');
      expect((await post(other.sourceUrl(), 'x')).status).toBe(401);
    } finally {
      await other.stop();
    }
    expect(fake.received()).toEqual([]);
  });

  it('injects throttling with Retry-After, 5xx and latency per request, also over the control API', async () => {
    fake.addFault({ fault: 'throttle', retryAfter: '30', times: 1 });
    expect(await post(fake.sourceUrl(), 'a')).toEqual({ status: 429, retryAfter: '30' });
    expect((await post(fake.sourceUrl(), 'a')).status).toBe(200);
    const bad = await fetch(`${fake.url}/_fake/faults`, { method: 'POST', body: JSON.stringify({ fault: 'boom' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ problems: ['fault must be one of throttle, unavailable, gateway-timeout, timeout, too-large, drop, hang'] });
    expect((await fetch(`${fake.url}/_fake/faults`, { method: 'POST', body: JSON.stringify({ fault: 'gateway-timeout', latencyMs: 150, times: 1 }) })).status).toBe(200);
    const started = Date.now();
    expect((await post(fake.sourceUrl(), 'b')).status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const listed = (await (await fetch(`${fake.url}/_fake/received`)).json()) as { messages: unknown[] };
    expect(listed.messages).toEqual([{ line: 'a' }]);
  });

  it('validates fault rules', () => {
    expect(sumoFaultProblems({ fault: 'hang' })).toEqual([]);
    expect(sumoFaultProblems({ latencyMs: -1, times: 0 })).toEqual(['latencyMs must be a non-negative integer', 'times must be a positive integer']);
  });
});
