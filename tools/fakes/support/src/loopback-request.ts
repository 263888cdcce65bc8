import { IncomingHttpHeaders, OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** An answer as a test sees it. */
export interface LoopbackAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, decoded as UTF-8. */
  body: string;
}

export interface LoopbackRequestOptions {
  method?: string;
  /** Sent with its Content-Length (unless `headers` set one). */
  body?: string | Buffer;
  headers?: OutgoingHttpHeaders;
  /** PEM certificate to trust for an https URL (a fake's self-signed one). */
  ca?: string;
}

/**
 * One HTTP(S) request to a fake, for specs: resolves with the whole answer, rejects on a
 * transport error (e.g. a dropped connection). Throws for any host but 127.0.0.1 / localhost,
 * so a test cannot reach beyond the loopback interface by mistake.
 */
export function requestLoopback(url: string, options: LoopbackRequestOptions = {}): Promise<LoopbackAnswer> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') throw new Error('requestLoopback only calls 127.0.0.1 or localhost');
  const body = options.body ?? '';
  const headers = { 'content-length': Buffer.byteLength(body), ...options.headers };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: options.method ?? 'GET', headers, ...(options.ca !== undefined ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
