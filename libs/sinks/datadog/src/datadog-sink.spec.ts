import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { FakeDatadog, startFakeDatadog } from '@tsp/fake-datadog';
import { closedAfterEach, conformanceEvents, expectNoSecret, privateCaConformance, sinkConfigCases, sinkConformance } from '@tsp/sink-conformance';
import type { SinkEvent } from '@tsp/sinks-core';
import { datadogSinkPlugin } from './datadog-sink';

const API_KEY = 'dd-api-key-secret-5e8f1a2b';
const WRONG_KEY = 'dd-api-key-wrong-00000000';
const host = { tenantId: 't', sinkId: 'dd', eventsDir: undefined, stdout: process.stdout };

function config(url: string, settings: Record<string, unknown> = {}, apiKey = API_KEY): LoggingSinkConfig {
  return { id: 'dd', type: 'datadog', settings: { url, ...settings }, credentials: { apiKey } };
}

sinkConformance({
  name: 'datadog',
  unsupported: { partial: 'the Datadog logs intake accepts or refuses a request whole: it has no item-level result' },
  async start() {
    const fake = await startFakeDatadog({ apiKeys: [API_KEY] });
    return {
      sink: (opts) => datadogSinkPlugin.create(config(fake.url, {}, opts?.badCredentials ? WRONG_KEY : API_KEY), host),
      received: async () => fake.received().map((l) => JSON.parse(String(l.message)) as Record<string, unknown>),
      inject: (f) => {
        if (f.kind === 'reject') fake.addFault({ kind: 'bad-request' });
        else if (f.kind === 'throttle') fake.addFault({ kind: 'throttle', retryAfterSeconds: f.retryAfterSeconds });
        else if (f.kind === 'unavailable' || f.kind === 'hang') fake.addFault({ kind: f.kind });
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [API_KEY, WRONG_KEY],
      stop: () => fake.stop(),
    };
  },
});

describe('datadog sink against the fake intake', () => {
  let fake: FakeDatadog;
  const sinkOf = closedAfterEach((c: LoggingSinkConfig) => datadogSinkPlugin.create(c, host));
  const signal = (): AbortSignal => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await startFakeDatadog({ apiKeys: [API_KEY] });
  });
  afterEach(() => fake.clearFaults());
  afterAll(() => fake.stop());

  it('posts a JSON array of log objects, the delivered line as message, with DD-API-KEY (uncompressed when compress is false)', async () => {
    const events = conformanceEvents(2);
    const before = fake.requests().length;
    const sink = sinkOf(config(fake.url, { compress: false, service: 'tsp-prod', source: 'ironcore', tags: ['env:prod', 'team:sec'], hostname: 'tsp-1' }));
    expect(await sink.send(events, signal())).toEqual({ kind: 'delivered' });
    const req = fake.requests()[before];
    expect(req).toMatchObject({ method: 'POST', path: '/api/v2/logs', query: {}, contentType: 'application/json', contentEncoding: undefined, apiKey: 'valid', status: 202 });
    const expected = `[${events.map((e) => `{"ddsource":"ironcore","ddtags":"env:prod,team:sec","hostname":"tsp-1","service":"tsp-prod","message":${JSON.stringify(e.json)}}`).join(',')}]`;
    expect(req.body).toBe(expected);
    expect(req.wireBytes).toBe(Buffer.byteLength(expected));
  });

  it('gzips by default with Content-Encoding: gzip, and omits unset attributes', async () => {
    const events = conformanceEvents(50);
    const before = fake.requests().length;
    expect(await sinkOf(config(fake.url)).send(events, signal())).toEqual({ kind: 'delivered' });
    const req = fake.requests()[before];
    expect(req.contentEncoding).toBe('gzip');
    const logs = JSON.parse(req.body ?? '[]') as Record<string, unknown>[];
    expect(req.wireBytes).toBeLessThan(Buffer.byteLength(req.body ?? '') / 3);
    expect(Object.keys(logs[0])).toEqual(['ddsource', 'service', 'message']);
    expect(logs[0]).toMatchObject({ ddsource: 'tenant-security-proxy', service: 'tenant-security-proxy', message: events[0].json });
  });

  it('a wrong API key is an auth retry (403 Forbidden) without the key in the outcome', async () => {
    const outcome = await sinkOf(config(fake.url, {}, WRONG_KEY)).send(conformanceEvents(1), signal());
    expect(outcome).toEqual({ kind: 'retry', auth: true, reason: 'datadog answered 403: Forbidden' });
    expectNoSecret(outcome, [API_KEY, WRONG_KEY]);
    expect(fake.requests().at(-1)?.apiKey).toBe('invalid');
  });

  it('throttling with only X-RateLimit-Reset still gives the wait; 408 and 500 are retries', async () => {
    fake.addFault({ kind: 'throttle', retryAfterSeconds: 12, rateLimitHeadersOnly: true, times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), signal())).toEqual({
      kind: 'retry',
      reason: 'datadog answered 429: Too Many Requests',
      retryAfterMs: 12_000,
    });
    fake.addFault({ kind: 'timeout', times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), signal())).toEqual({ kind: 'retry', reason: 'datadog answered 408: Request Timeout' });
    fake.addFault({ kind: 'error', times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), signal())).toEqual({ kind: 'retry', reason: 'datadog answered 500: Internal Server Error' });
  });

  it('more than 1000 logs in one request is a 413 reject from the intake', async () => {
    const before = fake.received().length;
    const outcome = await sinkOf(config(fake.url)).send(conformanceEvents(1001), signal());
    expect(outcome).toEqual({ kind: 'reject', reason: 'datadog answered 413: Payload Too Large' });
    expect(fake.received().length).toBe(before);
  });

  it('a payload above 5 MB uncompressed is rejected before sending', async () => {
    const [base] = conformanceEvents(1);
    const big: SinkEvent = { record: base.record, json: base.json.replace('"customFields":{', `"customFields":{"pad":"${'x'.repeat(5_000_000)}",`) };
    const before = fake.requests().length;
    expect(await sinkOf(config(fake.url)).send([big], signal())).toEqual({ kind: 'reject', reason: 'datadog payload above the 5 MB intake limit' });
    expect(fake.requests().length).toBe(before);
  });

  it('a dropped connection is a retry naming the transport error', async () => {
    fake.addFault({ kind: 'drop', times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), signal())).toEqual({ kind: 'retry', reason: 'datadog unreachable (ECONNRESET)' });
  });

  it('latency above settings.timeoutMs is a retry', async () => {
    fake.setLatency(400);
    try {
      expect((await sinkOf(config(fake.url, { timeoutMs: 100 })).send(conformanceEvents(1), signal())).kind).toBe('retry');
    } finally {
      fake.setLatency(0);
    }
  });
});

privateCaConformance({
  name: 'datadog',
  secrets: [API_KEY],
  certificate: generateLoopbackCertificate,
  async start(tls) {
    const fake = await startFakeDatadog({ apiKeys: [API_KEY], tls });
    return { sink: (settings) => datadogSinkPlugin.create(config(fake.url, settings), host), storedCount: () => fake.received().length, stop: () => fake.stop() };
  },
});

describe('datadog sink config', () => {
  sinkConfigCases(datadogSinkPlugin, 'd', [
    {
      name: 'accepts a full config',
      settings: { url: 'https://http-intake.logs.datadoghq.eu', service: 'tsp', source: 'ironcore', tags: ['env:prod'], hostname: 'h-1', compress: false, timeoutMs: 5000 },
      credentials: { apiKey: 'k' },
      problems: [],
    },
    {
      name: 'names missing fields',
      settings: {},
      credentials: {},
      includes: [/^logging\.sinks\[d\]\.(settings\.)?url is required$/, /^logging\.sinks\[d\]\.(credentials\.)?apiKey is required$/],
    },
    {
      name: 'names malformed fields, never a value',
      settings: { url: 'intake.example', tags: ['has space', 'a,b'], compress: 'yes', colour: 1 },
      credentials: { apiKey: 'k-secret-value', extra: 'x-secret-value' },
      includes: [
        /\burl must match/,
        /\btags\.0 must match/,
        /\bcompress must be boolean/,
        "logging.sinks[d].settings has unknown property 'colour'",
        "logging.sinks[d].credentials has unknown property 'extra'",
      ],
      neverEchoes: ['secret-value'],
    },
  ]);

  it('declares its type and the intake limits', () => {
    expect(datadogSinkPlugin.type).toBe('datadog');
    expect(datadogSinkPlugin.limits).toEqual({ maxEvents: 1000, maxBytes: 1_300_000 });
  });
});
