import { deliveredEventLine } from '@tsp/events';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { SinkEvent } from '@tsp/sinks-core';
import { configProblems, conformanceEvents, sinkConformance } from '@tsp/sink-conformance';
import { FakeCloudWatchLogs, startFakeCloudWatchLogs } from '@tsp/fake-cloudwatch-logs';
import { cloudWatchLogsSinkPlugin } from './cloudwatch-sink';

const ACCESS_KEY = 'AKIAFAKECWLTEST0001';
const SECRET = 'cwl-secret-key/0123456789abcdefghijABCDEFGHIJ';
const WRONG = 'cwl-wrong-key/0123456789abcdefghijABCDEFGHIJ';
const TOKEN = 'FwoGZXIvYXdzEFAKESESSIONTOKEN0123456789';
const GROUP = 'tsp-events';
const STREAM = 'tenant-a';
/** The fake judges event ages by this clock: one hour after the conformance events' timestamps. */
const EVENT_NOW = 1_780_000_000_000 + 3600_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const host = { tenantId: 't', sinkId: 's', eventsDir: undefined, stdout: process.stdout };

function config(fake: FakeCloudWatchLogs, over: { settings?: Record<string, unknown>; credentials?: Record<string, unknown> } = {}): LoggingSinkConfig {
  return {
    id: 'cwl',
    type: 'cloudwatch-logs',
    settings: { region: fake.region, endpoint: fake.url, logGroupName: GROUP, logStreamName: STREAM, ...over.settings },
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, sessionToken: TOKEN, ...over.credentials },
  };
}

async function startFake(extra: Partial<Parameters<typeof startFakeCloudWatchLogs>[0]> = {}): Promise<FakeCloudWatchLogs> {
  return startFakeCloudWatchLogs({
    region: 'eu-west-1',
    credentials: [{ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, sessionToken: TOKEN }],
    groups: [{ name: GROUP, streams: [STREAM] }],
    eventClock: () => EVENT_NOW,
    ...extra,
  });
}

/** Events at the given timestamps (delivered JSON rebuilt for each). */
function eventsAt(timestamps: readonly number[]): SinkEvent[] {
  return conformanceEvents(timestamps.length).map((e, i) => {
    const record = { ...e.record, timestampMillis: timestamps[i] as number };
    return { record, json: deliveredEventLine(record).slice(0, -1) };
  });
}

const rayId = (r: Record<string, unknown>): unknown => (r['iclFields'] as Record<string, unknown>)['tspRayId'];

sinkConformance({
  name: 'cloudwatch-logs',
  unsupported: {
    throttle: 'CloudWatch Logs answers ThrottlingException without Retry-After (tested below: a retry without retryAfterMs)',
    partial:
      'rejectedLogEventsInfo can only name a prefix of too old / expired events and a suffix of too new ones of the sorted batch, never arbitrary indices (tested below with real timestamps)',
  },
  async start() {
    const fake = await startFake();
    return {
      sink: (opts) => cloudWatchLogsSinkPlugin.create(config(fake, opts?.badCredentials === true ? { credentials: { secretAccessKey: WRONG } } : {}), host),
      received: async () => fake.received(),
      inject: (f) => {
        if (f.kind === 'unavailable') fake.addFault({ action: { type: 'error', error: 'ServiceUnavailableException' } });
        else if (f.kind === 'reject') fake.addFault({ action: { type: 'error', error: 'InvalidParameterException' } });
        else if (f.kind === 'hang') fake.addFault({ action: { type: 'hang' } });
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [SECRET, WRONG, TOKEN],
      stop: () => fake.stop(),
    };
  },
});

describe('cloudwatch-logs sink config', () => {
  const problems = configProblems(cloudWatchLogsSinkPlugin, 'c');
  const validate = (settings: Record<string, unknown>, credentials: Record<string, unknown> = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }): string[] =>
    problems(settings, credentials);
  const good = { region: 'eu-west-1', logGroupName: GROUP, logStreamName: STREAM };

  it('accepts a minimal config and an endpoint override', () => {
    expect(validate(good)).toEqual([]);
    expect(validate({ ...good, endpoint: 'https://logs.eu-west-1.amazonaws.com', createLogStream: true })).toEqual([]);
  });

  it('names missing and malformed fields without their values', () => {
    const missing = problems({}, {});
    for (const f of ['region', 'logGroupName', 'logStreamName', 'accessKeyId', 'secretAccessKey']) expect(missing.some((p) => p.includes(`${f} is required`))).toBe(true);
    expect(validate({ ...good, logStreamName: 'a:b' }).join()).toContain('logStreamName');
    expect(validate({ ...good, logGroupName: 'bad group!' }).join()).toContain('logGroupName');
    expect(validate({ ...good, region: 'Europe' }).join()).toContain('region');
    expect(validate({ ...good, endpoint: 'ftp://x' })).toEqual(['logging.sinks[c].settings.endpoint must be an http(s) URL']);
    const p = validate(good, { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, extra: 'x' });
    expect(p.join()).toContain("unknown property 'extra'");
    expect(p.join()).not.toContain(SECRET);
  });

  it('declares limits a full ASCII batch fits in one PutLogEvents', () => {
    expect(cloudWatchLogsSinkPlugin.limits).toEqual({ maxEvents: 10_000, maxBytes: 1_048_576 - 260_000 });
  });
});

describe('cloudwatch-logs sink against the fake', () => {
  let fake: FakeCloudWatchLogs;
  beforeEach(async () => {
    fake = await startFake();
  });
  afterEach(() => fake.stop());

  it('sends {timestamp, message: delivered JSON} sorted by timestamp, whatever the batch order', async () => {
    const t = EVENT_NOW - HOUR;
    const events = eventsAt([t + 30, t + 10, t + 20, t + 10]);
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    expect(await sink.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const stored = fake.events(GROUP, STREAM);
    expect(stored.map((e) => e.timestamp)).toEqual([t + 10, t + 10, t + 20, t + 30]);
    expect(stored.map((e) => e.message)).toEqual([events[1]?.json, events[3]?.json, events[2]?.json, events[0]?.json]);
    expect(fake.requests().map((r) => [r.operation, r.outcome])).toEqual([['PutLogEvents', 'ok']]);
    await sink.close();
  });

  it('maps rejectedLogEventsInfo back to batch indices: too old and expired rejected, too new retried', async () => {
    await fake.stop();
    fake = await startFake({ groups: [{ name: GROUP, retentionInDays: 10, streams: [STREAM] }] });
    // batch order: ok, too new, expired (11 days, retention 10), ok, 9 days old (kept), too new
    const events = eventsAt([EVENT_NOW - HOUR, EVENT_NOW + 3 * HOUR, EVENT_NOW - 11 * DAY, EVENT_NOW, EVENT_NOW - 9 * DAY, EVENT_NOW + 5 * HOUR]);
    // ...spanning more than 24 h, so planPuts makes several calls; each answer maps back.
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    const outcome = await sink.send(events, AbortSignal.timeout(5000));
    expect(outcome.kind).toBe('partial');
    const failed = outcome.kind === 'partial' ? [...outcome.failed].sort((a, b) => a.index - b.index) : [];
    expect(failed).toEqual([
      { index: 1, retry: true, reason: 'log event more than 2 hours in the future' },
      { index: 2, retry: false, reason: 'log event older than the log group retention' },
      { index: 5, retry: true, reason: 'log event more than 2 hours in the future' },
    ]);
    const ids = fake.received().map(rayId);
    for (const i of [0, 3, 4]) expect(ids).toContain(events[i]?.record.iclFields.tspRayId);
    expect(ids).toHaveLength(3);
  });

  it('events more than 14 days old are rejected for good', async () => {
    const events = eventsAt([EVENT_NOW - 15 * DAY, EVENT_NOW - 15 * DAY + 1, EVENT_NOW - 1]);
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    const outcome = await sink.send([events[2] as SinkEvent, events[0] as SinkEvent, events[1] as SinkEvent], AbortSignal.timeout(5000));
    expect(outcome).toEqual({
      kind: 'partial',
      failed: [
        { index: 1, retry: false, reason: 'log event more than 14 days old' },
        { index: 2, retry: false, reason: 'log event more than 14 days old' },
      ],
    });
    expect(fake.received().map(rayId)).toEqual([events[2]?.record.iclFields.tspRayId]);
  });

  it('splits a batch spanning more than 24 hours into calls the service accepts', async () => {
    // -3 d and -2 d span exactly 24 h (allowed); -1 h is more than 24 h after -3 d.
    const events = eventsAt([EVENT_NOW - 3 * DAY, EVENT_NOW - HOUR, EVENT_NOW - 2 * DAY]);
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    expect(await sink.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    expect(fake.requests().map((r) => r.events)).toEqual([2, 1]);
    expect(fake.events(GROUP, STREAM)).toHaveLength(3);
  });

  it('splits by UTF-8 bytes (26 per event counted) and sets aside an event over 256 KB', async () => {
    const base = eventsAt(new Array(7).fill(EVENT_NOW - HOUR));
    // 6 events of ~200,000 UTF-8 bytes (100,000 two-byte characters): 5 fit in 1,048,576, not 6.
    const big = base.map((e, i) => {
      const record = { ...e.record, customFields: { pad: (i === 6 ? '\u00e9'.repeat(140_000) : '\u00e9'.repeat(100_000)) } };
      return { record, json: deliveredEventLine(record).slice(0, -1) };
    });
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    const outcome = await sink.send(big, AbortSignal.timeout(10_000));
    expect(outcome).toEqual({ kind: 'partial', failed: [{ index: 6, retry: false, reason: 'log event larger than 256 KB' }] });
    expect(fake.requests().map((r) => [r.events, r.outcome])).toEqual([
      [5, 'ok'],
      [1, 'ok'],
    ]);
  });

  it('creates a missing stream once (createLogStream) and resends; without it a missing stream is a retry', async () => {
    const events = eventsAt([EVENT_NOW - 10, EVENT_NOW - 5]);
    const plain = cloudWatchLogsSinkPlugin.create(config(fake, { settings: { logStreamName: 'new-stream' } }), host);
    const o = await plain.send(events, AbortSignal.timeout(5000));
    expect(o).toEqual({ kind: 'retry', reason: 'cloudwatch-logs answered ResourceNotFoundException: The specified log stream does not exist.' });
    const creating = cloudWatchLogsSinkPlugin.create(config(fake, { settings: { logStreamName: 'new-stream', createLogStream: true } }), host);
    expect(await creating.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    expect(fake.events(GROUP, 'new-stream')).toHaveLength(2);
    expect(fake.requests().map((r) => `${r.operation}:${r.outcome}`)).toEqual([
      'PutLogEvents:ResourceNotFoundException',
      'PutLogEvents:ResourceNotFoundException',
      'CreateLogStream:ok',
      'PutLogEvents:ok',
    ]);
    const noGroup = cloudWatchLogsSinkPlugin.create(config(fake, { settings: { logGroupName: 'missing', createLogStream: true } }), host);
    expect(await noGroup.send(events, AbortSignal.timeout(5000))).toEqual({
      kind: 'retry',
      reason: 'cloudwatch-logs answered ResourceNotFoundException: The specified log group does not exist.',
    });
    await Promise.all([plain.close(), creating.close(), noGroup.close()]);
  });

  it.each([
    ['ThrottlingException', { kind: 'retry' }],
    ['ServiceUnavailableException', { kind: 'retry' }],
    ['InternalFailure', { kind: 'retry' }],
    ['AccessDeniedException', { kind: 'retry', auth: true }],
    ['ExpiredTokenException', { kind: 'retry', auth: true }],
    ['UnrecognizedClientException', { kind: 'retry', auth: true }],
    ['InvalidParameterException', { kind: 'reject' }],
  ] as const)('%s gives %j', async (error, want) => {
    fake.addFault({ operation: 'PutLogEvents', action: { type: 'error', error } });
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    const outcome = await sink.send(eventsAt([EVENT_NOW - 5, EVENT_NOW - 3]), AbortSignal.timeout(5000));
    expect(outcome).toMatchObject(want);
    expect(outcome.kind === 'retry' ? outcome.retryAfterMs : undefined).toBeUndefined();
    expect(outcome.kind !== 'delivered' && outcome.kind !== 'partial' ? outcome.reason : '').toContain(error);
    await sink.close();
  });

  it('a wrong secret is auth, and the session token quoted by AWS is not in the outcome', async () => {
    const sink = cloudWatchLogsSinkPlugin.create(config(fake, { credentials: { secretAccessKey: WRONG } }), host);
    const outcome = await sink.send(eventsAt([EVENT_NOW - 5]), AbortSignal.timeout(5000));
    expect(outcome).toMatchObject({ kind: 'retry', auth: true });
    expect(outcome.kind === 'retry' ? outcome.reason : '').toContain('InvalidSignatureException');
    const text = JSON.stringify(outcome);
    for (const s of [TOKEN, WRONG, SECRET]) expect(text).not.toContain(s);
    await sink.close();
  });

  it('a dropped connection is a retry; an unreachable endpoint too', async () => {
    fake.addFault({ times: 1, action: { type: 'drop' } });
    const sink = cloudWatchLogsSinkPlugin.create(config(fake), host);
    expect((await sink.send(eventsAt([EVENT_NOW - 5]), AbortSignal.timeout(5000))).kind).toBe('retry');
    await sink.close();
    const port = fake.port;
    await fake.stop();
    const gone = cloudWatchLogsSinkPlugin.create(config(fake, { settings: { endpoint: `http://127.0.0.1:${port}` } }), host);
    const o = await gone.send(eventsAt([EVENT_NOW - 5]), AbortSignal.timeout(5000));
    expect(o).toEqual({ kind: 'retry', reason: 'cloudwatch-logs unreachable (ECONNREFUSED)' });
    await gone.close();
    fake = await startFake(); // for afterEach
  });
});
