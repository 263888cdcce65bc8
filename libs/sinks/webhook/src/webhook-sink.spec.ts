import { createHash, createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { configProblems, conformanceEvents, privateCaConformance, sinkConformance } from '@tsp/sink-conformance';
import { FakeWebhookReceiver, startFakeWebhookReceiver } from '@tsp/fake-webhook-receiver';
import { WebhookSink, webhookSinkPlugin } from './webhook-sink';

const SECRET = 'whsec-conformance-0123456789abcdef';
const WRONG = 'whsec-wrong-secret-fedcba9876543210';
const HEADER_SECRET = 'Bearer header-secret-token-42';
const host = { tenantId: 't', sinkId: 's', eventsDir: undefined, stdout: process.stdout };

function configFor(fake: FakeWebhookReceiver, secret = SECRET, extra: Record<string, unknown> = {}): LoggingSinkConfig {
  return { id: 'hook', type: 'webhook', settings: { url: fake.url, caCertificate: fake.caCertificate, ...extra }, credentials: { secret } };
}

sinkConformance({
  name: 'webhook',
  async start() {
    const fake = await startFakeWebhookReceiver({ secrets: [SECRET] });
    return {
      sink: (opts) => webhookSinkPlugin.create(configFor(fake, opts?.badCredentials === true ? WRONG : SECRET), host),
      received: async () => fake.received(),
      inject: (f) => {
        if (f.kind === 'unavailable') fake.addFault({ action: { type: 'unavailable' } });
        else if (f.kind === 'throttle') fake.addFault({ action: { type: 'throttle', retryAfterSeconds: f.retryAfterSeconds } });
        else if (f.kind === 'reject') fake.addFault({ action: { type: 'reject' } });
        else if (f.kind === 'partial') fake.addFault({ action: { type: 'partial', rejectIndices: f.rejectIndices, retryIndices: f.retryIndices } });
        else fake.addFault({ action: { type: 'hang' } });
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [SECRET, WRONG],
      stop: () => fake.stop(),
    };
  },
});

describe('webhook sink config', () => {
  const problems = configProblems(webhookSinkPlugin, 'w');
  const validate = (settings: Record<string, unknown>, credentials: Record<string, unknown> = { secret: SECRET }): string[] => problems(settings, credentials);

  it('accepts an https url with a secret', () => {
    expect(validate({ url: 'https://hooks.example.test/tsp' })).toEqual([]);
  });

  it('names the missing url and secret', () => {
    expect(problems({}, {})).toEqual(['logging.sinks[w].settings.url is required', 'logging.sinks[w].credentials.secret is required']);
  });

  it('requires https unless allowInsecureHttp', () => {
    expect(validate({ url: 'http://127.0.0.1:9/x' })).toEqual(['logging.sinks[w].settings.url must be https (or set settings.allowInsecureHttp)']);
    expect(validate({ url: 'http://127.0.0.1:9/x', allowInsecureHttp: true })).toEqual([]);
    expect(validate({ url: 'ftp://127.0.0.1/x' })).toEqual(['logging.sinks[w].settings.url must be https']);
    expect(validate({ url: 'not a url' })).toEqual(['logging.sinks[w].settings.url is not a valid URL']);
  });

  it('refuses credentials embedded in the url without echoing them', () => {
    const problems = validate({ url: 'https://user:hunter2-password@hooks.example.test/' });
    expect(problems).toEqual(['logging.sinks[w].settings.url must not embed credentials (use credentials.headers)']);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('refuses a short secret, a bad CA and headers the sink sets itself', () => {
    expect(validate({ url: 'https://h.test/' }, { secret: 'short' }).join()).toContain('credentials.secret');
    expect(validate({ url: 'https://h.test/', caCertificate: 'nope' })).toEqual(['logging.sinks[w].settings.caCertificate must be a PEM certificate']);
    expect(validate({ url: 'https://h.test/', headers: { 'X-TSP-Signature': 'x' } })).toEqual([
      'logging.sinks[w].settings.headers.X-TSP-Signature is set by the sink and cannot be configured',
    ]);
    expect(validate({ url: 'https://h.test/', headers: { 'X-Env': 'a' } }, { secret: SECRET, headers: { 'x-env': 'b' } })).toEqual([
      'logging.sinks[w].credentials.headers.x-env is configured twice',
    ]);
    expect(validate({ url: 'https://h.test/', colour: 'red' }).join()).toContain("unknown property 'colour'");
  });

  it('declares its limits', () => {
    expect(webhookSinkPlugin.type).toBe('webhook');
    expect(webhookSinkPlugin.limits).toEqual({ maxEvents: 1000, maxBytes: 5 * 1024 * 1024 });
  });
});

/** A plain-http loopback server answering what the test says, recording raw requests. */
interface Capture {
  url: string;
  requests: { headers: IncomingMessage['headers']; body: string }[];
  answer: (req: IncomingMessage, res: ServerResponse) => void;
  stop(): Promise<void>;
}

async function capture(): Promise<Capture> {
  const c: Partial<Capture> & { requests: Capture['requests'] } = { requests: [] };
  c.answer = (_req, res) => {
    res.writeHead(200).end('{}');
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      c.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      (c.answer as Capture['answer'])(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  c.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  c.stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return c as Capture;
}

describe('webhook sink wire format and answers', () => {
  let cap: Capture;
  let sink: WebhookSink;
  const T = 1_790_000_000_123;
  beforeEach(async () => {
    cap = await capture();
    sink = new WebhookSink(
      { url: cap.url, allowInsecureHttp: true, headers: { 'X-Env': 'test' } },
      { secret: SECRET, headers: { Authorization: HEADER_SECRET } },
      () => T,
    );
  });
  afterEach(async () => {
    await sink.close();
    await cap.stop();
  });

  it('POSTs {"events":[...]} with the delivery id, the HMAC signature and the configured headers', async () => {
    const events = conformanceEvents(3);
    expect(await sink.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [req] = cap.requests;
    expect(req?.body).toBe(`{"events":[${events.map((e) => e.json).join(',')}]}`);
    expect(JSON.parse(req?.body ?? '')).toEqual({ events: events.map((e) => JSON.parse(e.json)) });
    expect(req?.headers['content-type']).toBe('application/json');
    const ids = events.map((e) => `${e.record.iclFields.logdriverRayId}\n`).join('');
    expect(req?.headers['x-tsp-delivery-id']).toBe(createHash('sha256').update(ids).digest('hex'));
    const t = Math.floor(T / 1000);
    const mac = createHmac('sha256', SECRET).update(`${t}.${req?.body}`).digest('hex');
    expect(req?.headers['x-tsp-signature']).toBe(`t=${t},v1=${mac}`);
    expect(req?.headers['x-env']).toBe('test');
    expect(req?.headers['authorization']).toBe(HEADER_SECRET);
  });

  it('a resent batch carries the same delivery id; another batch another one', async () => {
    const a = conformanceEvents(2);
    await sink.send(a, AbortSignal.timeout(5000));
    await sink.send(a, AbortSignal.timeout(5000));
    await sink.send(conformanceEvents(2), AbortSignal.timeout(5000));
    const ids = cap.requests.map((r) => r.headers['x-tsp-delivery-id']);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it.each([
    [503, 'retry', undefined],
    [500, 'retry', undefined],
    [408, 'retry', undefined],
    [429, 'retry', undefined],
    [401, 'retry', true],
    [403, 'retry', true],
    [400, 'reject', undefined],
    [413, 'reject', undefined],
    [404, 'reject', undefined],
    [302, 'reject', undefined],
  ])('answer %d gives %s (auth %s)', async (status, kind, auth) => {
    cap.answer = (_q, res) => res.writeHead(status, { location: 'http://127.0.0.1:1/elsewhere' }).end(JSON.stringify({ error: `no: ${HEADER_SECRET}` }));
    const outcome = await sink.send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(outcome.kind).toBe(kind);
    expect(outcome.kind === 'retry' ? outcome.auth : undefined).toBe(auth);
    expect(cap.requests).toHaveLength(1); // a redirect is not followed
    const text = JSON.stringify(outcome);
    expect(text).toContain(String(status));
    expect(text).not.toContain('header-secret-token-42');
    expect(text).not.toContain(SECRET);
  });

  it('honours Retry-After in seconds and as a date', async () => {
    cap.answer = (_q, res) => res.writeHead(503, { 'retry-after': '12' }).end();
    expect(await sink.send(conformanceEvents(1), AbortSignal.timeout(5000))).toMatchObject({ kind: 'retry', retryAfterMs: 12_000 });
    cap.answer = (_q, res) => res.writeHead(429, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }).end();
    const o = await sink.send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(o.kind === 'retry' ? o.retryAfterMs : 0).toBeGreaterThan(25_000);
  });

  it('a 207 names the failed items; a 207 off the contract is a retry', async () => {
    cap.answer = (_q, res) => res.writeHead(207).end(JSON.stringify({ failed: [{ index: 2, retry: false, reason: `bad ${SECRET}` }, { index: 0, retry: true }] }));
    const o = await sink.send(conformanceEvents(3), AbortSignal.timeout(5000));
    expect(o).toEqual({
      kind: 'partial',
      failed: [
        { index: 2, retry: false, reason: 'bad [redacted]' },
        { index: 0, retry: true, reason: 'refused by the receiver' },
      ],
    });
    for (const body of ['not json', '{"failed":[{"index":3,"retry":true}]}', '{"failed":[{"index":0}]}', '{"failed":[{"index":0,"retry":true},{"index":0,"retry":false}]}']) {
      cap.answer = (_q, res) => res.writeHead(207).end(body);
      expect((await sink.send(conformanceEvents(3), AbortSignal.timeout(5000))).kind).toBe('retry');
    }
    cap.answer = (_q, res) => res.writeHead(207).end('{"failed":[]}');
    expect(await sink.send(conformanceEvents(3), AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
  });

  it('a refused connection is a retry naming the code', async () => {
    await cap.stop();
    expect(await sink.send(conformanceEvents(1), AbortSignal.timeout(5000))).toEqual({ kind: 'retry', reason: 'webhook unreachable (ECONNREFUSED)' });
    cap = await capture(); // for afterEach
  });
});

describe('webhook sink against the verifying receiver', () => {
  let fake: FakeWebhookReceiver;
  beforeAll(async () => {
    fake = await startFakeWebhookReceiver({ secrets: [SECRET] });
  });
  afterAll(() => fake.stop());
  afterEach(() => fake.clearFaults());

  it('a redelivered batch is stored once', async () => {
    const sink = webhookSinkPlugin.create(configFor(fake), host);
    const events = conformanceEvents(2);
    expect(await sink.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    expect(await sink.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const ids = fake.received().map((r) => (r['iclFields'] as Record<string, unknown>)['tspRayId']);
    for (const e of events) expect(ids.filter((id) => id === e.record.iclFields.tspRayId)).toHaveLength(1);
    expect(fake.requests().slice(-1)[0]?.outcome).toBe('duplicate');
    await sink.close();
  });

  it('a signature older than the 5-minute tolerance is refused as auth', async () => {
    const settings = configFor(fake).settings as { url: string; caCertificate: string };
    const sink = new WebhookSink(settings, { secret: SECRET }, () => Date.now() - 6 * 60_000);
    const o = await sink.send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(o).toMatchObject({ kind: 'retry', auth: true });
    expect(fake.requests().slice(-1)[0]?.outcome).toBe('signature timestamp outside the tolerance');
    await sink.close();
  });

  it('a dropped connection is a retry; latency within the timeout still delivers', async () => {
    const sink = webhookSinkPlugin.create(configFor(fake), host);
    fake.addFault({ times: 1, action: { type: 'drop' } });
    expect((await sink.send(conformanceEvents(1), AbortSignal.timeout(5000))).kind).toBe('retry');
    fake.addFault({ times: 1, action: { type: 'latency', ms: 200 } });
    const started = Date.now();
    expect(await sink.send(conformanceEvents(1), AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await sink.close();
  });

  it('the per-request timeout gives up on a hanging receiver', async () => {
    const sink = webhookSinkPlugin.create(configFor(fake, SECRET, { timeoutMs: 200 }), host);
    fake.addFault({ times: 1, action: { type: 'hang' } });
    const started = Date.now();
    expect((await sink.send(conformanceEvents(1), AbortSignal.timeout(10_000))).kind).toBe('retry');
    expect(Date.now() - started).toBeLessThan(2000);
    await sink.close();
  });
});

privateCaConformance({
  name: 'webhook',
  secrets: [SECRET],
  certificate: generateLoopbackCertificate,
  async start(tls) {
    const fake = await startFakeWebhookReceiver({ secrets: [SECRET], tls });
    const config = (settings: Record<string, unknown>): LoggingSinkConfig => ({ id: 'hook', type: 'webhook', settings: { url: fake.url, ...settings }, credentials: { secret: SECRET } });
    return { sink: (settings) => webhookSinkPlugin.create(config(settings), host), storedCount: () => fake.received().length, stop: () => fake.stop() };
  },
});
