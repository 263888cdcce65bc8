import type { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { FakeElasticsearch, startFakeElasticsearch } from '@tsp/fake-elasticsearch';
import { conformanceEvents, sinkConformance } from '@tsp/sink-conformance';
import { DeliveryOutcome, httpsTrust, Sink } from '@tsp/sinks-core';
import { elasticsearchSinkPlugin } from './elasticsearch-sink';

const KEY = { id: 'tsp-logdriver', key: 'es-api-key-secret-0f3b9c' };
const ENCODED = Buffer.from(`${KEY.id}:${KEY.key}`).toString('base64');
const WRONG = Buffer.from(`${KEY.id}:not-the-key-1234`).toString('base64');
const USER = { username: 'tsp-writer', password: 'es-password-secret-77aa' };
const INDEX = 'tsp-security-events';
const host = { tenantId: 't', sinkId: 'es', eventsDir: undefined, stdout: process.stdout };

function config(url: string, settings: Record<string, unknown> = {}, credentials: Record<string, unknown> = { apiKey: ENCODED }): LoggingSinkConfig {
  return { id: 'es', type: 'elasticsearch', settings: { url, index: INDEX, ...settings }, credentials };
}

function stripTimestamp(source: Record<string, unknown>): Record<string, unknown> {
  const { ['@timestamp']: _ts, ...rest } = source;
  return rest;
}

function expectNoSecret(outcome: DeliveryOutcome): void {
  const text = JSON.stringify(outcome);
  for (const s of [KEY.key, ENCODED, WRONG, USER.password]) expect(text).not.toContain(s);
}

sinkConformance({
  name: 'elasticsearch',
  async start() {
    const fake = await startFakeElasticsearch({ apiKeys: [KEY] });
    return {
      sink: (opts) => elasticsearchSinkPlugin.create(config(fake.url, {}, { apiKey: opts?.badCredentials ? WRONG : ENCODED }), host),
      received: async () => fake.documents(INDEX).map((d) => stripTimestamp(d.source)),
      inject: (f) => {
        if (f.kind === 'partial') fake.addFault({ kind: 'items', reject: f.rejectIndices, retry: f.retryIndices });
        else if (f.kind === 'reject') fake.addFault({ kind: 'items', reject: 'all' });
        else if (f.kind === 'throttle') fake.addFault({ kind: 'throttle', retryAfterSeconds: f.retryAfterSeconds });
        else fake.addFault({ kind: f.kind });
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [KEY.key, ENCODED, WRONG],
      stop: () => fake.stop(),
    };
  },
});

describe('elasticsearch sink against the fake', () => {
  let fake: FakeElasticsearch;
  let sinks: Sink[] = [];
  const sinkOf = (c: LoggingSinkConfig): Sink => {
    const s = elasticsearchSinkPlugin.create(c, host);
    sinks.push(s);
    return s;
  };
  const signal = (): AbortSignal => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await startFakeElasticsearch({ apiKeys: [KEY], users: [USER], pipelines: ['tsp-enrich'] });
  });
  afterEach(async () => {
    fake.clearFaults();
    await Promise.all(sinks.map((s) => s.close()));
    sinks = [];
  });
  afterAll(() => fake.stop());

  it('posts NDJSON create actions keyed by tspRayId, @timestamp first, ending in a newline', async () => {
    const events = conformanceEvents(2);
    const before = fake.requests().length;
    expect(await sinkOf(config(fake.url)).send(events, signal())).toEqual({ kind: 'delivered' });
    const req = fake.requests()[before];
    expect(req).toMatchObject({ method: 'POST', path: '/_bulk', query: {}, contentType: 'application/x-ndjson', principal: `ApiKey ${KEY.id}`, status: 200 });
    const expected = events
      .map((e) => {
        const action = JSON.stringify({ create: { _index: INDEX, _id: e.record.iclFields.tspRayId } });
        const ts = new Date(e.record.timestampMillis).toISOString();
        return `${action}\n{"@timestamp":"${ts}",${e.json.slice(1)}\n`;
      })
      .join('');
    expect(req.body).toBe(expected);
    const stored = fake.documents(INDEX).find((d) => d.id === events[0].record.iclFields.tspRayId);
    expect(stored?.source['@timestamp']).toBe((JSON.parse(events[0].json) as { timestamp: string }).timestamp);
  });

  it('a redelivered batch is a 409 version conflict per item and counts as delivered, stored once', async () => {
    const sink = sinkOf(config(fake.url));
    const first = conformanceEvents(3);
    expect(await sink.send(first, signal())).toEqual({ kind: 'delivered' });
    const mixed = [first[0], ...conformanceEvents(1), first[2]];
    const before = fake.requests().length;
    expect(await sink.send(mixed, signal())).toEqual({ kind: 'delivered' });
    expect(fake.requests()[before].status).toBe(200);
    const ids = fake.documents(INDEX).map((d) => d.id);
    for (const e of [...first, mixed[1]]) expect(ids.filter((id) => id === e.record.iclFields.tspRayId)).toHaveLength(1);
  });

  it('authenticates with username and password (Basic), and a wrong password is an auth retry without the secret', async () => {
    const before = fake.requests().length;
    expect(await sinkOf(config(fake.url, {}, { ...USER })).send(conformanceEvents(1), signal())).toEqual({ kind: 'delivered' });
    expect(fake.requests()[before].principal).toBe(`Basic ${USER.username}`);
    const outcome = await sinkOf(config(fake.url, {}, { username: USER.username, password: `${USER.password}-wrong` })).send(conformanceEvents(1), signal());
    expect(outcome).toEqual({ kind: 'retry', auth: true, reason: 'elasticsearch answered 401: security_exception' });
    expectNoSecret(outcome);
  });

  it('sends the ingest pipeline as ?pipeline=, and an unknown pipeline rejects every item', async () => {
    const events = conformanceEvents(2);
    const before = fake.requests().length;
    expect(await sinkOf(config(fake.url, { pipeline: 'tsp-enrich' })).send(events, signal())).toEqual({ kind: 'delivered' });
    expect(fake.requests()[before].query).toEqual({ pipeline: 'tsp-enrich' });
    expect(fake.documents(INDEX).find((d) => d.id === events[1].record.iclFields.tspRayId)?.pipeline).toBe('tsp-enrich');
    const outcome = await sinkOf(config(fake.url, { pipeline: 'missing-pipe' })).send(conformanceEvents(2), signal());
    expect(outcome).toEqual({ kind: 'reject', reason: 'elasticsearch rejected every item (elasticsearch item answered 400: illegal_argument_exception)' });
  });

  it('a whole-request 429 without Retry-After is a plain retry; every item throttled is a retry', async () => {
    fake.addFault({ kind: 'throttle', times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), signal())).toEqual({
      kind: 'retry',
      reason: 'elasticsearch answered 429: es_rejected_execution_exception',
    });
    fake.addFault({ kind: 'items', retry: 'all', times: 1 });
    expect(await sinkOf(config(fake.url)).send(conformanceEvents(3), signal())).toEqual({
      kind: 'retry',
      reason: 'elasticsearch failed every item (elasticsearch item answered 429: es_rejected_execution_exception)',
    });
  });

  it('a body over http.max_content_length (413) is a reject', async () => {
    const small = await startFakeElasticsearch({ apiKeys: [KEY], maxContentLength: 2000 });
    try {
      const outcome = await sinkOf(config(small.url)).send(conformanceEvents(10), signal());
      expect(outcome).toEqual({ kind: 'reject', reason: 'elasticsearch answered 413' });
      expect(small.documents()).toHaveLength(0);
    } finally {
      await small.stop();
    }
  });

  it('a dropped connection is a retry naming the transport error', async () => {
    fake.addFault({ kind: 'drop', times: 1 });
    const outcome = await sinkOf(config(fake.url)).send(conformanceEvents(1), signal());
    expect(outcome).toEqual({ kind: 'retry', reason: 'elasticsearch unreachable (ECONNRESET)' });
  });

  it('latency below the timeout still delivers; above settings.timeoutMs is a retry', async () => {
    fake.setLatency(300);
    try {
      expect(await sinkOf(config(fake.url)).send(conformanceEvents(1), signal())).toEqual({ kind: 'delivered' });
      const outcome = await sinkOf(config(fake.url, { timeoutMs: 100 })).send(conformanceEvents(1), signal());
      expect(outcome.kind).toBe('retry');
    } finally {
      fake.setLatency(0);
    }
  });
});

describe('elasticsearch sink over https with a private CA', () => {
  it('trusts settings.caCertificate in addition to the system roots; another CA or none is refused', async () => {
    const tls = generateLoopbackCertificate();
    const otherCa = generateLoopbackCertificate().cert;
    const fake = await startFakeElasticsearch({ apiKeys: [KEY], tls });
    const trusting = elasticsearchSinkPlugin.create(config(fake.url, { caCertificate: tls.cert }), host);
    const plain = elasticsearchSinkPlugin.create(config(fake.url), host);
    const wrongCa = elasticsearchSinkPlugin.create(config(fake.url, { caCertificate: otherCa }), host);
    try {
      expect(fake.url.startsWith('https://127.0.0.1:')).toBe(true);
      expect(await trusting.send(conformanceEvents(1), AbortSignal.timeout(10_000))).toEqual({ kind: 'delivered' });
      for (const refused of [plain, wrongCa]) {
        const outcome = await refused.send(conformanceEvents(1), AbortSignal.timeout(10_000));
        expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^elasticsearch unreachable \(.*(CERT|SELF_SIGNED|VERIFY)/) });
      }
      expect(fake.documents()).toHaveLength(1);
      // The pool the sink connects with trusts the system roots too, not the private CA alone.
      const agent = Reflect.get(Reflect.get(trusting, 'transport') as object, 'httpsAgent') as Agent;
      expect(agent.options.ca).toEqual(httpsTrust(tls.cert));
      expect(agent.options.ca).toEqual([...rootCertificates, tls.cert]);
    } finally {
      await trusting.close();
      await plain.close();
      await wrongCa.close();
      await fake.stop();
    }
  });
});

describe('elasticsearch sink config', () => {
  const v = (settings: Record<string, unknown> | undefined, credentials: Record<string, unknown> | undefined): string[] =>
    elasticsearchSinkPlugin.validate({ id: 'e', type: 'elasticsearch', ...(settings ? { settings } : {}), ...(credentials ? { credentials } : {}) }, { eventsDir: undefined });

  it('accepts an API key or a user and password', () => {
    expect(v({ url: 'https://es.example.internal:9200', index: 'logs-tsp-default' }, { apiKey: 'abc' })).toEqual([]);
    expect(v({ url: 'http://127.0.0.1:9200/prefix', index: 'tsp', pipeline: 'p', timeoutMs: 5000 }, { username: 'u', password: 'p' })).toEqual([]);
  });

  it('names missing and malformed settings', () => {
    const problems = v({}, { apiKey: 'abc' });
    expect(problems.some((p) => /^logging\.sinks\[e\]\.(settings\.)?url is required$/.test(p))).toBe(true);
    expect(problems.some((p) => /^logging\.sinks\[e\]\.(settings\.)?index is required$/.test(p))).toBe(true);
    const bad = v({ url: 'ftp://x', index: 'Upper', colour: 1 }, { apiKey: 'abc' });
    expect(bad.some((p) => /\burl must match/.test(p))).toBe(true);
    expect(bad.some((p) => /\bindex must match/.test(p))).toBe(true);
    expect(bad).toContain("logging.sinks[e].settings has unknown property 'colour'");
    expect(v({ url: 'https://user:pw@es.internal', index: 'tsp' }, { apiKey: 'abc' }).some((p) => /\burl must match/.test(p))).toBe(true);
  });

  it('needs exactly one way to authenticate, and never echoes a secret', () => {
    const s = { url: 'https://es.internal', index: 'tsp' };
    expect(v(s, undefined)).toEqual(['logging.sinks[e].credentials must hold apiKey, or username and password']);
    expect(v(s, { apiKey: 'k-secret', username: 'u', password: 'p-secret' })).toEqual(['logging.sinks[e].credentials must hold either apiKey or username and password, not both']);
    expect(v(s, { username: 'u' })).toEqual(['logging.sinks[e].credentials.password is required with username']);
    expect(v(s, { password: 'p-secret' })).toEqual(['logging.sinks[e].credentials.username is required with password']);
    expect(JSON.stringify(v(s, { apiKey: 'k-secret', token: 'tok-secret' }))).not.toContain('secret');
  });

  it('declares its type and limits', () => {
    expect(elasticsearchSinkPlugin.type).toBe('elasticsearch');
    expect(elasticsearchSinkPlugin.limits).toEqual({ maxEvents: 5000, maxBytes: 10 * 1024 * 1024 });
  });
});
