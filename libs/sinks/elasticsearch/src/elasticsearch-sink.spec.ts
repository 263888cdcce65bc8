import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { FakeElasticsearch, startFakeElasticsearch } from '@tsp/fake-elasticsearch';
import { closedAfterEach, conformanceEvents, expectNoSecret, privateCaConformance, sinkConfigCases, sinkConformance } from '@tsp/sink-conformance';
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

const SECRETS = [KEY.key, ENCODED, WRONG, USER.password];

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
  const sinkOf = closedAfterEach((c: LoggingSinkConfig) => elasticsearchSinkPlugin.create(c, host));
  const signal = (): AbortSignal => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await startFakeElasticsearch({ apiKeys: [KEY], users: [USER], pipelines: ['tsp-enrich'] });
  });
  afterEach(() => fake.clearFaults());
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
    expectNoSecret(outcome, SECRETS);
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

privateCaConformance({
  name: 'elasticsearch',
  secrets: SECRETS,
  certificate: generateLoopbackCertificate,
  async start(tls) {
    const fake = await startFakeElasticsearch({ apiKeys: [KEY], tls });
    return { sink: (settings) => elasticsearchSinkPlugin.create(config(fake.url, settings), host), storedCount: () => fake.documents().length, stop: () => fake.stop() };
  },
});

describe('elasticsearch sink config', () => {
  const s = { url: 'https://es.internal', index: 'tsp' };
  sinkConfigCases(elasticsearchSinkPlugin, 'e', [
    { name: 'accepts an API key', settings: { url: 'https://es.example.internal:9200', index: 'logs-tsp-default' }, credentials: { apiKey: 'abc' }, problems: [] },
    {
      name: 'accepts a user and password',
      settings: { url: 'http://127.0.0.1:9200/prefix', index: 'tsp', pipeline: 'p', timeoutMs: 5000 },
      credentials: { username: 'u', password: 'p' },
      problems: [],
    },
    {
      name: 'names missing settings',
      settings: {},
      credentials: { apiKey: 'abc' },
      includes: [/^logging\.sinks\[e\]\.(settings\.)?url is required$/, /^logging\.sinks\[e\]\.(settings\.)?index is required$/],
    },
    {
      name: 'names malformed settings',
      settings: { url: 'ftp://x', index: 'Upper', colour: 1 },
      credentials: { apiKey: 'abc' },
      includes: [/\burl must match/, /\bindex must match/, "logging.sinks[e].settings has unknown property 'colour'"],
    },
    { name: 'refuses a url with embedded credentials', settings: { url: 'https://user:pw@es.internal', index: 'tsp' }, credentials: { apiKey: 'abc' }, includes: [/\burl must match/] },
    { name: 'needs a way to authenticate', settings: s, problems: ['logging.sinks[e].credentials must hold apiKey, or username and password'] },
    {
      name: 'refuses both ways to authenticate, without echoing a secret',
      settings: s,
      credentials: { apiKey: 'k-secret', username: 'u', password: 'p-secret' },
      problems: ['logging.sinks[e].credentials must hold either apiKey or username and password, not both'],
    },
    { name: 'needs the password with a username', settings: s, credentials: { username: 'u' }, problems: ['logging.sinks[e].credentials.password is required with username'] },
    { name: 'needs the username with a password', settings: s, credentials: { password: 'p-secret' }, problems: ['logging.sinks[e].credentials.username is required with password'] },
    { name: 'never echoes an unknown credential', settings: s, credentials: { apiKey: 'k-secret', token: 'tok-secret' }, includes: [/token/], neverEchoes: ['secret'] },
  ]);

  it('declares its type and limits', () => {
    expect(elasticsearchSinkPlugin.type).toBe('elasticsearch');
    expect(elasticsearchSinkPlugin.limits).toEqual({ maxEvents: 5000, maxBytes: 10 * 1024 * 1024 });
  });
});
