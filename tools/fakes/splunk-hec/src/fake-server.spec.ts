import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { splitHecBody } from './hec-body';
import { FakeSplunkHec, startFakeSplunkHec } from './fake-server';
import { splunkHecFaultProblems } from './faults';

const TOKEN = randomUUID();
const ACK_TOKEN = randomUUID();

async function post(url: string, body: string | Buffer, headers: Record<string, string> = { Authorization: `Splunk ${TOKEN}` }): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // plain text answer
  }
  return { status: res.status, json, headers: res.headers };
}

const envelope = (event: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ time: 1.5, event, ...extra });

describe('splitHecBody', () => {
  it('splits objects with or without whitespace, braces inside strings included', () => {
    expect(splitHecBody('{"event":"a}{"}{"event":{"x":[1,{"y":"\\"}"}]}}\n  {"event":3}')).toEqual({
      events: [{ event: 'a}{' }, { event: { x: [1, { y: '"}' }] } }, { event: 3 }],
      invalidAt: undefined,
    });
  });

  it('names the first malformed event', () => {
    expect(splitHecBody('{"event":1} [2] {"event":3}')).toEqual({ events: [{ event: 1 }], invalidAt: 1 });
    expect(splitHecBody('{"event":1}{"event":')).toEqual({ events: [{ event: 1 }], invalidAt: 1 });
    expect(splitHecBody('{"event":1}{"event":tru}')).toEqual({ events: [{ event: 1 }], invalidAt: 1 });
  });
});

describe('fake Splunk HEC', () => {
  let fake: FakeSplunkHec;
  let ev: string;
  beforeAll(async () => {
    fake = await startFakeSplunkHec({ tokens: [{ token: TOKEN, indexes: ['main', 'sec'] }, { token: ACK_TOKEN, ack: true }], maxContentLength: 4096 });
    ev = `${fake.url}/services/collector/event`;
  });
  afterEach(() => {
    fake.clearFaults();
    fake.clearReceived();
  });
  afterAll(() => fake.stop());

  it('answers health and indexes a batch with the token default index', async () => {
    expect((await fetch(`${fake.url}/services/collector/health`)).status).toBe(200);
    const r = await post(ev, envelope({ a: 1 }) + envelope('two', { index: 'sec', host: 'h' }));
    expect(r).toMatchObject({ status: 200, json: { text: 'Success', code: 0 } });
    expect(fake.received().map((e) => [e.index, e.event, e.host])).toEqual([
      ['main', { a: 1 }, undefined],
      ['sec', 'two', 'h'],
    ]);
  });

  it('checks the Authorization header as HEC does', async () => {
    const none = await post(ev, envelope(1), {});
    expect(none).toMatchObject({ status: 401, json: { text: 'Token is required', code: 2 } });
    expect(none.headers.get('www-authenticate')).toBe('Splunk');
    expect(await post(ev, envelope(1), { Authorization: `Bearer ${TOKEN}` })).toMatchObject({ status: 401, json: { text: 'Invalid authorization', code: 3 } });
    expect(await post(ev, envelope(1), { Authorization: 'Splunk nope' })).toMatchObject({ status: 403, json: { text: 'Invalid token', code: 4 } });
    fake.setTokenDisabled(TOKEN, true);
    expect(await post(ev, envelope(1))).toMatchObject({ status: 403, json: { text: 'Token disabled', code: 1 } });
    fake.setTokenDisabled(TOKEN, false);
    expect(fake.received()).toEqual([]);
  });

  it('stops at the first bad event: the ones before are indexed, the answer names it', async () => {
    expect(await post(ev, '  ')).toMatchObject({ status: 400, json: { text: 'No data', code: 5 } });
    expect(await post(ev, envelope(1) + '{"event":')).toMatchObject({ status: 400, json: { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 } });
    expect(await post(ev, envelope(2) + envelope(3) + '{"time":1}' + envelope(4))).toMatchObject({
      status: 400,
      json: { text: 'Event field is required', code: 12, 'invalid-event-number': 2 },
    });
    expect(await post(ev, envelope(''))).toMatchObject({ status: 400, json: { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 } });
    expect(await post(ev, envelope(5, { index: 'other' }))).toMatchObject({ status: 400, json: { text: 'Incorrect index', code: 7, 'invalid-event-number': 0 } });
    expect(await post(ev, envelope(6, { time: 'yesterday' }))).toMatchObject({ status: 400, json: { code: 6, 'invalid-event-number': 0 } });
    expect(fake.received().map((e) => e.event)).toEqual([1, 2, 3]);
  });

  it('takes gzip bodies and refuses bodies over max_content_length with 413', async () => {
    expect((await post(ev, gzipSync(envelope('z')), { Authorization: `Splunk ${TOKEN}`, 'Content-Encoding': 'gzip' })).status).toBe(200);
    const bigBody = envelope('x'.repeat(5000));
    const big = await post(ev, bigBody);
    expect(big.status).toBe(413);
    expect(big.json).toBe(`Content-Length of ${Buffer.byteLength(bigBody)} too large (maximum is 4096)`);
    expect(fake.received().map((e) => e.event)).toEqual(['z']);
  });

  it('needs a channel for an ack token and acknowledges on /services/collector/ack', async () => {
    const auth = { Authorization: `Splunk ${ACK_TOKEN}` };
    expect(await post(ev, envelope(1), auth)).toMatchObject({ status: 400, json: { text: 'Data channel is missing', code: 10 } });
    expect(await post(ev, envelope(1), { ...auth, 'X-Splunk-Request-Channel': 'abc' })).toMatchObject({ status: 400, json: { text: 'Invalid data channel', code: 11 } });
    const channel = randomUUID();
    const ok = await post(ev, envelope(1), { ...auth, 'X-Splunk-Request-Channel': channel });
    expect(ok).toMatchObject({ status: 200, json: { text: 'Success', code: 0, ackId: 0 } });
    const ack = await post(`${fake.url}/services/collector/ack`, JSON.stringify({ acks: [0, 7] }), { ...auth, 'X-Splunk-Request-Channel': channel });
    expect(ack).toMatchObject({ status: 200, json: { acks: { '0': true, '7': false } } });
    expect(await post(`${fake.url}/services/collector/ack`, '{"acks":[0]}')).toMatchObject({ status: 400, json: { text: 'ACK is disabled', code: 14 } });
  });

  it('injects faults per request: busy with Retry-After, internal, latency; rules also over the control API', async () => {
    fake.addFault({ fault: 'busy', retryAfter: '9', times: 1 });
    const busy = await post(ev, envelope(1));
    expect(busy).toMatchObject({ status: 503, json: { text: 'Server is busy', code: 9 } });
    expect(busy.headers.get('retry-after')).toBe('9');
    expect((await post(ev, envelope(1))).status).toBe(200);
    const bad = await post(`${fake.url}/_fake/faults`, JSON.stringify({ fault: 'nope', times: 0 }), {});
    expect(bad).toMatchObject({ status: 400, json: { problems: ['fault must be one of busy, internal, invalid-event, too-large, drop, hang', 'times must be a positive integer'] } });
    expect((await post(`${fake.url}/_fake/faults`, JSON.stringify({ fault: 'internal', latencyMs: 200, times: 1 }), {})).status).toBe(200);
    const started = Date.now();
    expect(await post(ev, envelope(1))).toMatchObject({ status: 500, json: { text: 'Internal server error', code: 8 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const listed = (await (await fetch(`${fake.url}/_fake/received`)).json()) as { events: unknown[] };
    expect(listed.events).toHaveLength(1);
  });

  it('validates fault rules', () => {
    expect(splunkHecFaultProblems({ latencyMs: 5 })).toEqual([]);
    expect(splunkHecFaultProblems({})).toEqual(['a rule needs fault or latencyMs']);
    expect(splunkHecFaultProblems({ fault: 'busy', retryAfter: 5, extra: 1 })).toEqual(['unknown field extra', 'retryAfter must be a string']);
  });
});
