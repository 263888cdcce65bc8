import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { FakeSplunkHec, startFakeSplunkHec } from '@tsp/fake-splunk-hec';
import { closedAfterEach, conformanceEvents, expectNoSecret, privateCaConformance, sinkConformance } from '@tsp/sink-conformance';
import type { SinkHost } from '@tsp/sinks-core';
import { splunkHecSinkPlugin } from './splunk-hec-sink';

const host: SinkHost = { tenantId: 't', sinkId: 'splunk', eventsDir: undefined, stdout: process.stdout };
const TOKEN = randomUUID();
const BAD_TOKEN = randomUUID();

function config(url: string, settings: Record<string, unknown> = {}, token: string = TOKEN): LoggingSinkConfig {
  return { id: 'splunk', type: 'splunk-hec', settings: { url, host: 'test-host', ...settings }, credentials: { token } };
}

sinkConformance({
  name: 'splunk-hec',
  unsupported: {
    partial:
      'HEC stops at the first event it cannot take and names only that one (invalid-event-number N): ' +
      'events before N are indexed, none after it, so "every item but 1 and 3" cannot happen; ' +
      'the prefix partial HEC does produce is tested below',
  },
  async start() {
    const fake = await startFakeSplunkHec({ tokens: [{ token: TOKEN, indexes: ['main', 'security'] }] });
    return {
      sink: (o) => splunkHecSinkPlugin.create(config(fake.url, { index: 'security' }, o?.badCredentials === true ? BAD_TOKEN : TOKEN), host),
      received: async () => fake.received().map((e) => e.event as Record<string, unknown>),
      inject: (f) => {
        if (f.kind === 'unavailable') fake.addFault({ fault: 'internal' });
        else if (f.kind === 'throttle') fake.addFault({ fault: 'busy', retryAfter: String(f.retryAfterSeconds) });
        else if (f.kind === 'reject') fake.addFault({ fault: 'too-large' });
        else if (f.kind === 'hang') fake.addFault({ fault: 'hang' });
        else throw new Error(`fault ${f.kind} is declared unsupported`);
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [TOKEN, BAD_TOKEN],
      stop: () => fake.stop(),
    };
  },
});

describe('splunk-hec sink against the fake HEC', () => {
  let fake: FakeSplunkHec;
  const sinkOf = closedAfterEach((c: LoggingSinkConfig) => splunkHecSinkPlugin.create(c, host));

  beforeAll(async () => {
    fake = await startFakeSplunkHec({ tokens: [{ token: TOKEN, indexes: ['main', 'security'] }, { token: BAD_TOKEN, disabled: true }] });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.clearReceived();
  });
  afterAll(() => fake.stop());

  it('posts one HEC envelope per event to /services/collector/event with Authorization: Splunk and a channel', async () => {
    const events = conformanceEvents(2);
    const outcome = await sinkOf(config(fake.url, { index: 'security', source: 'src-a', sourcetype: 'st:x' })).send(events, AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'delivered' });
    const [req] = fake.requests();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/services/collector/event');
    expect(req.authScheme).toBe('Splunk');
    expect(req.status).toBe(200);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.headers['x-splunk-request-channel']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const line = (i: number): string =>
      `{"time":${(events[i].record.timestampMillis / 1000).toFixed(3)},"host":"test-host","source":"src-a","sourcetype":"st:x","index":"security","event":${events[i].json}}`;
    expect(req.body).toBe(`${line(0)}\n${line(1)}\n`);
    const got = fake.received();
    expect(got.map((e) => e.index)).toEqual(['security', 'security']);
    expect(got[0].time).toBe(events[0].record.timestampMillis / 1000);
    expect(got[0].event).toEqual(JSON.parse(events[0].json));
  });

  it('uses the defaults for source and sourcetype and leaves index to the token', async () => {
    const events = conformanceEvents(1);
    expect(await sinkOf(config(`${fake.url}/`)).send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const body = JSON.parse(fake.requests()[0].body) as Record<string, unknown>;
    expect(body).toEqual({ time: events[0].record.timestampMillis / 1000, host: 'test-host', source: 'tsp-logdriver', sourcetype: 'tsp:security-event', event: JSON.parse(events[0].json) });
    expect(fake.received()[0].index).toBe('main');
  });

  it('gzips the body when compress is set', async () => {
    const events = conformanceEvents(3);
    expect(await sinkOf(config(fake.url, { compress: true })).send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [req] = fake.requests();
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.body.trim().split('\n')).toHaveLength(3);
    expect(fake.received().map((e) => e.event)).toEqual(events.map((e) => JSON.parse(e.json)));
    // What went over the wire was the gzip of the body the fake recorded.
    expect(Number(req.headers['content-length'])).toBe(gzipSync(Buffer.from(req.body)).length);
  });

  it('maps an invalid event N to partial: N rejected, the rest after it retried, the ones before indexed', async () => {
    const events = conformanceEvents(5);
    fake.addFault({ fault: 'invalid-event', invalidEventNumber: 2, times: 1 });
    const outcome = await sinkOf(config(fake.url)).send(events, AbortSignal.timeout(5000));
    expect(outcome.kind).toBe('partial');
    const failed = outcome.kind === 'partial' ? outcome.failed : [];
    expect(failed.map((f) => [f.index, f.retry])).toEqual([
      [2, false],
      [3, true],
      [4, true],
    ]);
    expect(failed[0].reason).toBe('splunk-hec answered 400: Invalid data format (code 6)');
    const ids = fake.received().map((e) => (e.event as { iclFields: { tspRayId: string } }).iclFields.tspRayId);
    expect(ids).toEqual([events[0].record.iclFields.tspRayId, events[1].record.iclFields.tspRayId]);
  });

  it('an invalid single event is a reject', async () => {
    fake.addFault({ fault: 'invalid-event', times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), AbortSignal.timeout(5000))).toEqual({
      kind: 'reject',
      reason: 'splunk-hec answered 400: Invalid data format (code 6)',
    });
  });

  it('a busy HEC that stopped part way gives partial with the rest retried', async () => {
    fake.addFault({ fault: 'busy', invalidEventNumber: 3, times: 1 });
    const outcome = await sinkOf(config(fake.url)).send(conformanceEvents(4), AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'partial', failed: [{ index: 3, retry: true, reason: 'splunk-hec answered 503: Server is busy (code 9)' }] });
    expect(fake.received()).toHaveLength(3);
  });

  it('an index the token may not write to is a retry marked auth (code 7)', async () => {
    const outcome = await sinkOf(config(fake.url, { index: 'not-allowed' })).send(conformanceEvents(2), AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'retry', auth: true, reason: 'splunk-hec answered 400: Incorrect index (code 7)' });
    expect(fake.received()).toHaveLength(0);
  });

  it('a disabled token is a retry marked auth, without the token in it', async () => {
    const outcome = await sinkOf(config(fake.url, {}, BAD_TOKEN)).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'retry', auth: true, reason: 'splunk-hec answered 403: Token disabled (code 1)' });
    expectNoSecret(outcome, [TOKEN, BAD_TOKEN]);
  });

  it('an unknown token is a retry marked auth (403 code 4)', async () => {
    const outcome = await sinkOf(config(fake.url, {}, 'x'.repeat(36))).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'retry', auth: true, reason: 'splunk-hec answered 403: Invalid token (code 4)' });
  });

  it('honours Retry-After given as delta-seconds and as an HTTP date', async () => {
    fake.addFault({ fault: 'busy', retryAfter: '12', times: 1 });
    const a = await sinkOf(config(fake.url)).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(a).toEqual({ kind: 'retry', reason: 'splunk-hec answered 503: Server is busy (code 9)', retryAfterMs: 12_000 });
    fake.addFault({ fault: 'busy', retryAfter: new Date(Date.now() + 30_000).toUTCString(), times: 1 });
    const b = await sinkOf(config(fake.url)).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(b.kind).toBe('retry');
    const ms = b.kind === 'retry' ? (b.retryAfterMs ?? -1) : -1;
    expect(ms).toBeGreaterThan(27_000);
    expect(ms).toBeLessThanOrEqual(30_000);
  });

  it('a dropped connection and a refused one are retries naming the cause', async () => {
    fake.addFault({ fault: 'drop', times: 1 });
    const dropped = await sinkOf(config(fake.url)).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(dropped).toEqual({ kind: 'retry', reason: 'splunk-hec unreachable (ECONNRESET)' });
    const other = await startFakeSplunkHec({ tokens: [{ token: TOKEN }] });
    const url = other.url;
    await other.stop();
    expect(await sinkOf(config(url)).send(conformanceEvents(1), AbortSignal.timeout(5000))).toEqual({ kind: 'retry', reason: 'splunk-hec unreachable (ECONNREFUSED)' });
  });

  it('a per-request timeout gives retry before the signal', async () => {
    fake.addFault({ latencyMs: 1500, times: 1 });
    const started = Date.now();
    const outcome = await sinkOf(config(fake.url, { timeoutMs: 200 })).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(outcome.kind).toBe('retry');
    expect(Date.now() - started).toBeLessThan(1400);
  });
});

privateCaConformance({
  name: 'splunk-hec',
  secrets: [TOKEN],
  certificate: generateLoopbackCertificate,
  async start(tls) {
    const fake = await startFakeSplunkHec({ tls, tokens: [{ token: TOKEN }] });
    return { sink: (settings) => splunkHecSinkPlugin.create(config(fake.url, settings), host), storedCount: () => fake.received().length, stop: () => fake.stop() };
  },
});
