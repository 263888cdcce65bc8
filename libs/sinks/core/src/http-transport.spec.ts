import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { transportFailure } from './http-outcome';
import { DEFAULT_MAX_ANSWER_BYTES, HttpTransport, httpsTrust } from './http-transport';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  remotePort: number | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server (http, or https with `tls`) recording every request; `handler` answers. */
interface Loopback {
  url: string;
  seen: Seen[];
  handler: Handler;
  stop(): Promise<void>;
}

async function loopback(tls?: LoopbackCertificate): Promise<Loopback> {
  const lb: Loopback = { url: '', seen: [], handler: (_q, res) => res.end('ok'), stop: async () => undefined };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lb.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), remotePort: req.socket.remotePort });
      lb.handler(req, res);
    });
  };
  const server = tls !== undefined ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  lb.url = `${tls !== undefined ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  lb.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return lb;
}

const signal = (): AbortSignal => AbortSignal.timeout(10_000);
const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the request to fail');
}

describe('HttpTransport over http', () => {
  let server: Loopback;
  let transport: HttpTransport;
  beforeAll(async () => {
    server = await loopback();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.seen = [];
    server.handler = (_q, res) => res.end('ok');
    transport = new HttpTransport(undefined, 5000);
  });
  afterEach(() => transport.close());

  it('sends a string that is not JSON byte for byte, with the given headers', async () => {
    const text = 'not json: {"a":1} \u00e9\n"quoted"';
    const answer = await transport.post(`${server.url}/in`, text, { 'Content-Type': 'text/plain', 'X-Token': 'abc' }, signal());
    expect(answer).toMatchObject({ status: 200, body: 'ok', truncated: false });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]).toMatchObject({ method: 'POST', url: '/in' });
    expect(server.seen[0].body.equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(server.seen[0].headers['content-type']).toBe('text/plain');
    expect(server.seen[0].headers['x-token']).toBe('abc');
    // Declared JSON but not one JSON document (NDJSON): still not re-encoded.
    const ndjson = '{"create":{}}\n{"a":1}\n';
    await transport.post(server.url, ndjson, { 'Content-Type': 'application/json' }, signal());
    expect(server.seen[1].body.toString('utf8')).toBe(ndjson);
  });

  it('sends a Buffer byte for byte (binary, gzip)', async () => {
    const bytes = Buffer.concat([Buffer.from([0, 255, 1, 254, 0x7b, 0x22]), gzipSync(Buffer.from('[{"m":1}]'))]);
    await transport.post(server.url, bytes, { 'Content-Type': 'application/octet-stream' }, signal());
    expect(server.seen[0].body.equals(bytes)).toBe(true);
    expect(server.seen[0].headers['content-length']).toBe(String(bytes.length));
  });

  it('sends the method asked for (default POST)', async () => {
    await transport.request({ url: `${server.url}/q?x=1`, method: 'GET', headers: {}, signal: signal() });
    await transport.request({ url: server.url, method: 'PUT', body: 'x', headers: {}, signal: signal() });
    await transport.request({ url: server.url, body: 'y', headers: {}, signal: signal() });
    expect(server.seen.map((s) => `${s.method} ${s.url} ${s.body.toString()}`)).toEqual(['GET /q?x=1 ', 'PUT / x', 'POST / y']);
  });

  it('returns every response header lower-cased, and Retry-After', async () => {
    server.handler = (_q, res) => {
      res.setHeader('X-RateLimit-Reset', '17');
      res.setHeader('Retry-After', '7');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(429).end('{"errors":["Too many requests"]}');
    };
    const answer = await transport.post(server.url, '[]', {}, signal());
    expect(answer.status).toBe(429);
    expect(answer.retryAfter).toBe('7');
    expect(answer.headers['x-ratelimit-reset']).toBe('17');
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.headers['set-cookie']).toBe('a=1, b=2');
    expect(answer.body).toBe('{"errors":["Too many requests"]}');
  });

  it('has no retryAfter when the header is absent', async () => {
    server.handler = (_q, res) => res.writeHead(503).end();
    const answer = await transport.post(server.url, '', {}, signal());
    expect(answer).toMatchObject({ status: 503, retryAfter: undefined, body: '' });
    expect(answer.headers['retry-after']).toBeUndefined();
  });

  it.each([301, 302, 307, 308])('returns a %d as it is, without following it', async (status) => {
    server.handler = (q, res) => (q.url === '/elsewhere' ? res.end('followed') : res.writeHead(status, { Location: `${server.url}/elsewhere` }).end('moved'));
    const answer = await transport.post(`${server.url}/start`, 'body', { Authorization: 'Bearer t' }, signal());
    expect(answer.status).toBe(status);
    expect(answer.headers['location']).toBe(`${server.url}/elsewhere`);
    expect(answer.body).toBe('moved');
    expect(server.seen.map((s) => s.url)).toEqual(['/start']);
  });

  it('cuts a long answer at maxAnswerBytes without failing, and keeps working', async () => {
    const small = new HttpTransport(undefined, 5000, { maxAnswerBytes: 1000 });
    try {
      server.handler = (_q, res) => res.end('x'.repeat(5000));
      const answer = await small.post(server.url, '', {}, signal());
      expect(answer).toMatchObject({ status: 200, truncated: true });
      expect(answer.body).toBe('x'.repeat(1000));
      server.handler = (_q, res) => res.end('y'.repeat(1000));
      expect(await small.post(server.url, '', {}, signal())).toMatchObject({ status: 200, body: 'y'.repeat(1000), truncated: false });
    } finally {
      small.close();
    }
  });

  it('keeps 64 KiB by default, counting decompressed bytes of a gzip answer', async () => {
    server.handler = (_q, res) => res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync(Buffer.from('z'.repeat(1024 * 1024))));
    const answer = await transport.post(server.url, '', {}, signal());
    expect(answer.truncated).toBe(true);
    expect(answer.body).toBe('z'.repeat(DEFAULT_MAX_ANSWER_BYTES));
    expect(DEFAULT_MAX_ANSWER_BYTES).toBe(64 * 1024);
  });

  it('keeps several MB when asked to', async () => {
    const big = new HttpTransport(undefined, 5000, { maxAnswerBytes: 8 * 1024 * 1024 });
    try {
      server.handler = (_q, res) => res.end('b'.repeat(5 * 1024 * 1024));
      const answer = await big.post(server.url, '', {}, signal());
      expect(answer.truncated).toBe(false);
      expect(answer.body.length).toBe(5 * 1024 * 1024);
    } finally {
      big.close();
    }
  });

  it('reuses one keep-alive connection', async () => {
    await transport.post(server.url, 'a', {}, signal());
    await transport.post(server.url, 'b', {}, signal());
    expect(server.seen).toHaveLength(2);
    expect(server.seen[0].headers['connection']).toBe('keep-alive');
    expect(server.seen[1].remotePort).toBe(server.seen[0].remotePort);
  });

  it('rejects when the signal aborts while waiting for the answer', async () => {
    server.handler = () => undefined; // never answers
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const started = Date.now();
    const err = await failure(transport.post(server.url, 'x', {}, ctl.signal));
    expect(codeOf(err)).toBe('ERR_CANCELED');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(transportFailure('svc', err)).toEqual({ kind: 'retry', reason: 'svc unreachable (ERR_CANCELED)' });
  });

  it('rejects when the signal aborts while the body is arriving', async () => {
    server.handler = (_q, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    expect(codeOf(await failure(transport.post(server.url, 'x', {}, ctl.signal)))).toBe('ERR_CANCELED');
  });

  it('rejects an already aborted signal without sending', async () => {
    const err = await failure(transport.post(server.url, 'x', {}, AbortSignal.abort()));
    expect(codeOf(err)).toBe('ERR_CANCELED');
    expect(server.seen).toHaveLength(0);
  });

  it('times out on a server that does not answer, or stops in the middle of the body', async () => {
    const quick = new HttpTransport(undefined, 200);
    try {
      server.handler = () => undefined;
      let started = Date.now();
      expect(codeOf(await failure(quick.post(server.url, 'x', {}, signal())))).toBe('ECONNABORTED');
      expect(Date.now() - started).toBeLessThan(2000);
      server.handler = (_q, res) => {
        res.writeHead(200);
        res.write('partial');
      };
      started = Date.now();
      expect(codeOf(await failure(quick.post(server.url, 'x', {}, signal())))).toBe('ECONNABORTED');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      quick.close();
    }
  });

  it('rejects a refused connection with its code', async () => {
    const gone = await loopback();
    await gone.stop();
    expect(codeOf(await failure(transport.post(gone.url, 'x', {}, signal())))).toBe('ECONNREFUSED');
  });
});

describe('HttpTransport ignores proxy settings of the environment', () => {
  const NAMES = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];
  let saved: Record<string, string | undefined>;
  let proxy: Loopback;
  let target: Loopback;
  let tlsTarget: Loopback;
  const tls = generateLoopbackCertificate();
  beforeAll(async () => {
    [proxy, target, tlsTarget] = await Promise.all([loopback(), loopback(), loopback(tls)]);
    proxy.handler = (_q, res) => res.end('via proxy');
    saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
    for (const n of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy']) process.env[n] = proxy.url;
    process.env['NO_PROXY'] = '';
    process.env['no_proxy'] = '';
  });
  afterAll(async () => {
    for (const n of NAMES) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
    await Promise.all([proxy.stop(), target.stop(), tlsTarget.stop()]);
  });

  it('goes straight to the http and https origins', async () => {
    const t = new HttpTransport(tls.cert, 5000);
    try {
      expect(await t.post(`${target.url}/direct`, 'x', {}, signal())).toMatchObject({ status: 200, body: 'ok' });
      expect(await t.post(`${tlsTarget.url}/direct`, 'y', {}, signal())).toMatchObject({ status: 200, body: 'ok' });
    } finally {
      t.close();
    }
    expect(target.seen.map((s) => s.url)).toEqual(['/direct']);
    expect(tlsTarget.seen.map((s) => s.url)).toEqual(['/direct']);
    expect(proxy.seen).toHaveLength(0);
  });
});

describe('HttpTransport over https with a private CA', () => {
  const mine = generateLoopbackCertificate();
  const other = generateLoopbackCertificate();
  let trusted: Loopback;
  let stranger: Loopback;
  beforeAll(async () => {
    [trusted, stranger] = await Promise.all([loopback(mine), loopback(other)]);
  });
  afterAll(() => Promise.all([trusted.stop(), stranger.stop()]));

  it('trusts caCertificate and refuses a different self-signed certificate', async () => {
    const t = new HttpTransport(mine.cert, 5000);
    try {
      expect(await t.post(`${trusted.url}/x`, 'body', {}, signal())).toMatchObject({ status: 200, body: 'ok' });
      const err = await failure(t.post(`${stranger.url}/x`, 'body', {}, signal()));
      expect(String(codeOf(err))).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      expect(transportFailure('svc', err).kind).toBe('retry');
    } finally {
      t.close();
    }
    expect(trusted.seen).toHaveLength(1);
    expect(stranger.seen).toHaveLength(0);
  });

  it('without caCertificate refuses the private certificate (system roots only)', async () => {
    const t = new HttpTransport(undefined, 5000);
    try {
      expect(String(codeOf(await failure(t.post(trusted.url, 'body', {}, signal()))))).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      t.close();
    }
  });

  it('trusts caCertificate in addition to the system roots, not instead of them', () => {
    expect(httpsTrust(undefined)).toBeUndefined();
    expect(rootCertificates.length).toBeGreaterThan(10);
    expect(httpsTrust(mine.cert)).toEqual([...rootCertificates, mine.cert]);
    const t = new HttpTransport(mine.cert, 5000);
    try {
      // The pool the transport really connects with carries the same list.
      const agent = Reflect.get(t, 'httpsAgent') as https.Agent;
      expect(agent.options.ca).toEqual([...rootCertificates, mine.cert]);
    } finally {
      t.close();
    }
  });
});
