import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { classifyHttpStatus } from './http-outcome';
import { encodeBody, postAndClassify } from './http-send';
import { HttpSink } from './http-sink';
import { HttpTransport } from './http-transport';
import { scrubOutcome } from './scrub-outcome';
import type { DeliveryOutcome, SinkEvent } from './sink';

const SECRET = 'tok-secret-8f3a91';

describe('scrubOutcome', () => {
  it('removes secrets from the reason, and from each failed item of a partial', () => {
    expect(scrubOutcome({ kind: 'delivered' }, [SECRET])).toEqual({ kind: 'delivered' });
    expect(scrubOutcome({ kind: 'retry', reason: `x ${SECRET}`, auth: true, retryAfterMs: 5 }, [SECRET])).toEqual({ kind: 'retry', reason: 'x [redacted]', auth: true, retryAfterMs: 5 });
    expect(scrubOutcome({ kind: 'reject', reason: `no ${encodeURIComponent(`${SECRET}/+`)}` }, [`${SECRET}/+`])).toEqual({ kind: 'reject', reason: 'no [redacted]' });
    expect(scrubOutcome({ kind: 'partial', failed: [{ index: 1, retry: false, reason: `bad ${SECRET}` }] }, [SECRET])).toEqual({
      kind: 'partial',
      failed: [{ index: 1, retry: false, reason: 'bad [redacted]' }],
    });
  });
});

describe('encodeBody', () => {
  it('gives the UTF-8 bytes, gzip-compressed when asked', async () => {
    expect((await encodeBody('é\n', false)).equals(Buffer.from('é\n', 'utf8'))).toBe(true);
    expect(gunzipSync(await encodeBody(Buffer.from('abc'), true)).toString('utf8')).toBe('abc');
  });
});

/** A loopback HTTP server answering every request with `answer`, recording the bodies. */
async function loopback(answer: (res: http.ServerResponse) => void): Promise<{ url: string; bodies: string[]; stop(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
    bodies,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('postAndClassify', () => {
  const transport = new HttpTransport(undefined, 2000);
  afterAll(() => transport.close());
  const post = (url: string, body: Buffer | string | Promise<Buffer | string>) => ({ service: 'svc', transport, url, body, headers: { 'Content-Type': 'text/plain' }, secrets: [SECRET] });

  it('posts the body, hands the answer to classify and scrubs its reason', async () => {
    const lb = await loopback((res) => res.writeHead(400).end(`refused ${SECRET}`));
    try {
      const outcome = await postAndClassify(post(lb.url, Promise.resolve('a\nb\n')), AbortSignal.timeout(5000), (a) => classifyHttpStatus('svc', a.status, a.retryAfter, a.body));
      expect(outcome).toEqual({ kind: 'reject', reason: 'svc answered 400: refused [redacted]' });
      expect(lb.bodies).toEqual(['a\nb\n']);
    } finally {
      await lb.stop();
    }
  });

  it('a refused connection, a failed body and a throwing classify are transport retries naming the service', async () => {
    const lb = await loopback((res) => res.end());
    const url = lb.url;
    await lb.stop();
    const classify = (): DeliveryOutcome => ({ kind: 'delivered' });
    expect(await postAndClassify(post(url, 'x'), AbortSignal.timeout(5000), classify)).toEqual({ kind: 'retry', reason: 'svc unreachable (ECONNREFUSED)' });
    const failed = Promise.reject(Object.assign(new Error('zlib'), { code: 'Z_BUF_ERROR' }));
    expect(await postAndClassify(post(url, failed), AbortSignal.timeout(5000), classify)).toEqual({ kind: 'retry', reason: 'svc unreachable (Z_BUF_ERROR)' });
    const up = await loopback((res) => res.end());
    try {
      const outcome = await postAndClassify(post(up.url, 'x'), AbortSignal.timeout(5000), () => {
        throw new TypeError('bug');
      });
      expect(outcome).toEqual({ kind: 'retry', reason: 'svc unreachable (TypeError)' });
    } finally {
      await up.stop();
    }
  });
});

class EchoSink extends HttpSink {
  readonly type = 'echo';
  constructor(private readonly url: string) {
    super(new HttpTransport(undefined, 2000), [SECRET]);
  }
  send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    return this.post(this.url, batch.map((e) => e.json).join('\n'), {}, signal, (a) => classifyHttpStatus(this.type, a.status, a.retryAfter, a.body));
  }
}

describe('HttpSink', () => {
  it('posts through its own transport, names its type in reasons, scrubs its secrets and closes its pools', async () => {
    const lb = await loopback((res) => res.writeHead(503, { 'Retry-After': '3' }).end(SECRET));
    const sink = new EchoSink(lb.url);
    const closing = jest.spyOn(Reflect.get(sink, 'transport') as HttpTransport, 'close');
    try {
      const batch = [{ json: '{"a":1}' }, { json: '{"b":2}' }] as unknown as SinkEvent[];
      expect(await sink.send(batch, AbortSignal.timeout(5000))).toEqual({ kind: 'retry', reason: 'echo answered 503: [redacted]', retryAfterMs: 3000 });
      expect(lb.bodies).toEqual(['{"a":1}\n{"b":2}']);
    } finally {
      await sink.close();
      await lb.stop();
    }
    expect(closing).toHaveBeenCalledTimes(1);
  });
});
