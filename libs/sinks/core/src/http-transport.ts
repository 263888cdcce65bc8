import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import axios from 'axios';

/** Largest answer body kept by default (the rest is dropped, see HttpAnswer.truncated). */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;

/** A remote answer as the sink needs it. */
export interface HttpAnswer {
  status: number;
  /** The Retry-After header (same as `headers['retry-after']`). */
  retryAfter: string | undefined;
  /** Every response header, names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Body text (UTF-8, decompressed), at most `maxAnswerBytes` bytes of it. */
  body: string;
  /** True when the body was longer than `maxAnswerBytes` and was cut there. */
  truncated: boolean;
}

/** One request. `body` goes on the wire byte for byte (never JSON-encoded). */
export interface HttpRequest {
  url: string;
  /** Default POST. */
  method?: string;
  body?: Buffer | string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

export interface HttpTransportOptions {
  /** Largest answer body kept, bytes (default DEFAULT_MAX_ANSWER_BYTES); a longer one is cut, not failed. */
  maxAnswerBytes?: number;
  /** Sockets per origin in each pool (default 4). */
  maxSockets?: number;
}

/**
 * The CA list of the https pool: undefined (Node's default, the system roots) without a private
 * CA, else the system roots plus `caCertificate` (PEM, one or more certificates). A private CA is
 * trusted IN ADDITION to the system roots, never instead of them.
 */
export function httpsTrust(caCertificate: string | undefined): string[] | undefined {
  return caCertificate === undefined ? undefined : [...rootCertificates, caCertificate];
}

/** An error whose `code` transportFailure reports. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function headerMap(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) out[name.toLowerCase()] = value.map(String).join(', ');
    else if (value !== undefined && value !== null) out[name.toLowerCase()] = String(value);
  }
  return out;
}

/**
 * Reads at most `limit` bytes of `body`, then drops the connection (a longer body is cut, not an
 * error). Rejects on a stream error, on `signal` and at `deadline` (epoch ms).
 */
function readCapped(body: Readable, limit: number, signal: AbortSignal, deadline: number, drop: () => void): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, truncated = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      body.removeListener('data', onData);
      if (err !== undefined || truncated) {
        body.destroy();
        drop();
      }
      if (err !== undefined) reject(err);
      else resolve({ bytes: Buffer.concat(chunks, size), truncated });
    };
    const onAbort = (): void => finish(codedError('request aborted', 'ERR_CANCELED'));
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      const room = limit - size;
      if (b.length > room) {
        chunks.push(b.subarray(0, room));
        size = limit;
        finish(undefined, true);
      } else {
        chunks.push(b);
        size += b.length;
      }
    };
    const timer = setTimeout(() => finish(codedError('timeout reading the answer', 'ECONNABORTED')), Math.max(0, deadline - Date.now()));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    body.on('data', onData);
    body.once('end', () => finish(undefined));
    // `on`, not `once`: axios may emit a second error after an abort; it must not go unhandled.
    body.on('error', (e: Error) => finish(e));
    body.once('close', () => finish(codedError('answer ended early', 'ECONNRESET')));
  });
}

/**
 * One keep-alive connection pool per sink instance (http and https), trusting `caCertificate`
 * (PEM) in addition to the system roots when given (httpsTrust), without touching global state.
 * Never uses a proxy from the environment and never follows redirects (a redirect would carry the
 * token; a 3xx is returned as it is). `timeoutMs` bounds each request, answer body included.
 */
export class HttpTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly maxAnswerBytes: number;

  /** Preconditions: timeoutMs > 0; options.maxAnswerBytes, when given, >= 0. */
  constructor(caCertificate: string | undefined, private readonly timeoutMs: number, options: HttpTransportOptions = {}) {
    const maxSockets = options.maxSockets ?? 4;
    const ca = httpsTrust(caCertificate);
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, ...(ca !== undefined ? { ca } : {}) });
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  }

  /** POSTs `body`; rejects on a transport failure (map it with transportFailure), never on a status. */
  post(url: string, body: Buffer | string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    return this.request({ url, method: 'POST', body, headers, signal });
  }

  /** Sends one request; rejects on a transport failure (map it with transportFailure), never on a status. */
  async request(req: HttpRequest): Promise<HttpAnswer> {
    const deadline = Date.now() + this.timeoutMs;
    const res = await axios.request<Readable>({
      url: req.url,
      method: req.method ?? 'POST',
      data: req.body,
      headers: req.headers,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      proxy: false,
      maxRedirects: 0,
      signal: req.signal,
      timeout: this.timeoutMs,
      validateStatus: () => true,
      responseType: 'stream',
      // The body goes as it is: axios would JSON-encode a string that is not one JSON document.
      transformRequest: [(d: unknown) => d],
      transformResponse: [(d: unknown) => d],
      maxBodyLength: Infinity,
      // The body is capped by readCapped (cut, not failed).
      maxContentLength: -1,
    });
    const request = res.request as { destroy?: () => void } | undefined;
    const { bytes, truncated } = await readCapped(res.data, this.maxAnswerBytes, req.signal, deadline, () => request?.destroy?.());
    const headers = headerMap(res.headers as Record<string, unknown>);
    let body = bytes.toString('utf8');
    if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
    return { status: res.status, retryAfter: headers['retry-after'], headers, body, truncated };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
