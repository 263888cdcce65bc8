import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { FakeSumoLogic, startFakeSumoLogic } from '@tsp/fake-sumo-logic';
import { closedAfterEach, conformanceEvents, expectNoSecret, privateCaConformance, sinkConfigCases, sinkConformance } from '@tsp/sink-conformance';
import type { SinkHost } from '@tsp/sinks-core';
import { sumoLogicSinkPlugin } from './sumo-logic-sink';

const host: SinkHost = { tenantId: 't', sinkId: 'sumo', eventsDir: undefined, stdout: process.stdout };
const TOKEN = randomBytes(48).toString('base64url');
const BAD_TOKEN = randomBytes(48).toString('base64url');

function config(url: string, settings: Record<string, unknown> = {}): LoggingSinkConfig {
  return { id: 'sumo', type: 'sumo-logic', settings, credentials: { url } };
}

sinkConformance({
  name: 'sumo-logic',
  unsupported: { partial: 'a Sumo Logic HTTP source takes or refuses a request whole; it has no item-level results' },
  async start() {
    const fake = await startFakeSumoLogic({ tokens: [TOKEN] });
    const good = fake.sourceUrl(TOKEN);
    const bad = fake.sourceUrl(BAD_TOKEN);
    return {
      sink: (o) => sumoLogicSinkPlugin.create(config(o?.badCredentials === true ? bad : good, { category: 'tsp/security' }), host),
      received: async () => fake.received().map((m) => JSON.parse(m.line) as Record<string, unknown>),
      inject: (f) => {
        if (f.kind === 'unavailable') fake.addFault({ fault: 'unavailable' });
        else if (f.kind === 'throttle') fake.addFault({ fault: 'throttle', retryAfter: String(f.retryAfterSeconds) });
        else if (f.kind === 'reject') fake.addFault({ fault: 'too-large' });
        else if (f.kind === 'hang') fake.addFault({ fault: 'hang' });
        else throw new Error(`fault ${f.kind} is declared unsupported`);
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [good, bad, TOKEN, BAD_TOKEN],
      stop: () => fake.stop(),
    };
  },
});

/** The secrets of sinks sending to `fake`: the tokens, the source URL and the fake's URL (it leads the source URL). */
function secretsOf(fake: FakeSumoLogic): string[] {
  return [TOKEN, BAD_TOKEN, fake.sourceUrl(TOKEN), fake.url];
}

describe('sumo-logic sink against the fake HTTP source', () => {
  let fake: FakeSumoLogic;
  const sinkOf = closedAfterEach((c: LoggingSinkConfig) => sumoLogicSinkPlugin.create(c, host));

  beforeAll(async () => {
    fake = await startFakeSumoLogic({ tokens: [TOKEN] });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.clearReceived();
  });
  afterAll(() => fake.stop());

  it('posts the delivered lines gzip-compressed with the metadata headers', async () => {
    const events = conformanceEvents(3);
    const outcome = await sinkOf(config(fake.sourceUrl(), { category: 'prod/tsp', name: 'tsp-events', host: 'tsp-1' })).send(events, AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'delivered' });
    const [req] = fake.requests();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/receiver/v1/http/<token #0>');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req.headers['x-sumo-category']).toBe('prod/tsp');
    expect(req.headers['x-sumo-name']).toBe('tsp-events');
    expect(req.headers['x-sumo-host']).toBe('tsp-1');
    const text = events.map((e) => `${e.json}\n`).join('');
    expect(req.body).toBe(text);
    expect(req.wireBytes).toBe(gzipSync(Buffer.from(text)).length);
    expect(fake.received()).toEqual(events.map((e) => ({ line: e.json, category: 'prod/tsp', name: 'tsp-events', host: 'tsp-1' })));
  });

  it('sends plain text without metadata headers when compress is false and nothing is set', async () => {
    const events = conformanceEvents(2);
    expect(await sinkOf(config(fake.sourceUrl(), { compress: false })).send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [req] = fake.requests();
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.headers['x-sumo-category']).toBeUndefined();
    expect(req.wireBytes).toBe(Buffer.byteLength(req.body));
    expect(req.body).toBe(`${events[0].json}\n${events[1].json}\n`);
  });

  it('an unknown or deleted source URL is a retry marked auth, without the URL or token', async () => {
    const unknown = await sinkOf(config(fake.sourceUrl(BAD_TOKEN))).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(unknown).toEqual({ kind: 'retry', auth: true, reason: 'sumo-logic answered 401' });
    expectNoSecret(unknown, secretsOf(fake));
    const other = await startFakeSumoLogic({ tokens: [TOKEN] });
    try {
      other.revoke(TOKEN);
      const revoked = await sinkOf(config(other.sourceUrl(TOKEN))).send(conformanceEvents(1), AbortSignal.timeout(5000));
      expect(revoked).toEqual({ kind: 'retry', auth: true, reason: 'sumo-logic answered 401' });
    } finally {
      await other.stop();
    }
  });

  it('honours Retry-After on 429 given as delta-seconds and as an HTTP date', async () => {
    fake.addFault({ fault: 'throttle', retryAfter: '4', times: 1 });
    expect(await sinkOf(config(fake.sourceUrl())).send(conformanceEvents(1), AbortSignal.timeout(5000))).toEqual({
      kind: 'retry',
      reason: 'sumo-logic answered 429',
      retryAfterMs: 4000,
    });
    fake.addFault({ fault: 'throttle', retryAfter: new Date(Date.now() + 60_000).toUTCString(), times: 1 });
    const b = await sinkOf(config(fake.sourceUrl())).send(conformanceEvents(1), AbortSignal.timeout(5000));
    const ms = b.kind === 'retry' ? (b.retryAfterMs ?? -1) : -1;
    expect(ms).toBeGreaterThan(57_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('408, 503 and 504 are retries; a body over 1 MB is a 413 reject', async () => {
    for (const fault of ['timeout', 'unavailable', 'gateway-timeout'] as const) {
      fake.addFault({ fault, times: 1 });
      const outcome = await sinkOf(config(fake.sourceUrl())).send(conformanceEvents(1), AbortSignal.timeout(5000));
      expect(outcome.kind).toBe('retry');
    }
    const big = conformanceEvents(1);
    const huge = { ...big[0], json: JSON.stringify({ ...JSON.parse(big[0].json), pad: 'x'.repeat(1_100_000) }) };
    expect(await sinkOf(config(fake.sourceUrl())).send([huge], AbortSignal.timeout(10_000))).toEqual({ kind: 'reject', reason: 'sumo-logic answered 413' });
    expect(fake.received()).toEqual([]);
  });

  it('a dropped connection is a retry naming the cause, never the URL', async () => {
    fake.addFault({ fault: 'drop', times: 1 });
    const outcome = await sinkOf(config(fake.sourceUrl())).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'retry', reason: 'sumo-logic unreachable (ECONNRESET)' });
  });
});

privateCaConformance({
  name: 'sumo-logic',
  secrets: [TOKEN, BAD_TOKEN],
  certificate: generateLoopbackCertificate,
  async start(tls) {
    const fake = await startFakeSumoLogic({ tls, tokens: [TOKEN] });
    return { sink: (settings) => sumoLogicSinkPlugin.create(config(fake.sourceUrl(), settings), host), storedCount: () => fake.received().length, stop: () => fake.stop() };
  },
});

describe('sumo-logic config', () => {
  sinkConfigCases(sumoLogicSinkPlugin, 'sumo', [
    { name: 'accepts a source URL alone', credentials: { url: 'https://endpoint4.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV0' }, problems: [] },
    {
      name: 'accepts every setting',
      settings: { category: 'a/b', name: 'n', host: 'h', compress: false, timeoutMs: 1000, caCertificate: '-----BEGIN CERTIFICATE-----' },
      credentials: { url: 'https://x/y' },
      problems: [],
    },
    { name: 'names the missing URL', settings: {}, problems: ['logging.sinks[sumo].credentials.url is required'] },
    {
      name: 'names bad fields, never echoing the URL',
      settings: { category: 'a\r\nX-Evil: 1', compress: 1, url: 'x' },
      credentials: { url: 'endpoint/receiver/v1/http/SeCrEtToKeN' },
      problems: [
        "logging.sinks[sumo].settings has unknown property 'url'",
        'logging.sinks[sumo].settings.category must match pattern "^[^\\r\\n\\x00]+$"',
        'logging.sinks[sumo].settings.compress must be boolean',
        'logging.sinks[sumo].credentials.url must match pattern "^https?://[^/\\s?#]+/[^\\s]+$"',
      ],
      neverEchoes: ['SeCrEtToKeN'],
    },
  ]);

  it('has limits under the 1 MB payload Sumo documents', () => {
    expect(sumoLogicSinkPlugin.type).toBe('sumo-logic');
    expect(sumoLogicSinkPlugin.limits.maxBytes).toBeLessThan(1_000_000);
  });
});
