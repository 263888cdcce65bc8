import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { transportFailure } from './http-outcome';
import type { HttpAnswer, HttpTransport } from './http-transport';
import { scrubOutcome } from './scrub-outcome';
import type { DeliveryOutcome } from './sink';

const gzipAsync = promisify(gzip);

/**
 * A request body as UTF-8 bytes, gzip-compressed when `compress` is true (the caller then sends
 * `Content-Encoding: gzip`).
 */
export async function encodeBody(text: string | Buffer, compress: boolean): Promise<Buffer> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return compress ? gzipAsync(bytes) : bytes;
}

/** One POST of an HTTP sink (see postAndClassify). */
export interface HttpSinkPost {
  /** The sink type, naming the service in transport reasons: `<service> unreachable (<code>)`. */
  service: string;
  /** The sink's own HttpTransport (keep-alive pools, private CA, timeout). */
  transport: HttpTransport;
  url: string;
  /**
   * The body, or a promise of it (e.g. encodeBody under way). A promise that fails counts as a
   * transport failure, so the send still resolves.
   */
  body: Buffer | string | Promise<Buffer | string>;
  headers: Record<string, string>;
  /** Every secret the sink holds (credentials, derived tokens, secret URL parts). */
  secrets: readonly string[];
}

/**
 * The send of an HTTP sink that makes one request per batch: POSTs `post.body`, classifies the
 * answer with `classify` (it sees every status: 2xx, 3xx as redirects are never followed, 4xx,
 * 5xx, plus headers and the body), and maps any failure before a classified answer (connection
 * refused or reset, TLS, timeout, abort, the body promise failing) to transportFailure(service).
 * Every reason of the outcome is scrubbed of `post.secrets` (scrubOutcome). Resolves, never
 * rejects, as Sink.send requires.
 */
export async function postAndClassify(
  post: HttpSinkPost,
  signal: AbortSignal,
  classify: (answer: HttpAnswer) => DeliveryOutcome,
): Promise<DeliveryOutcome> {
  let outcome: DeliveryOutcome;
  try {
    const answer = await post.transport.post(post.url, await post.body, post.headers, signal);
    outcome = classify(answer);
  } catch (err) {
    outcome = transportFailure(post.service, err);
  }
  return scrubOutcome(outcome, post.secrets);
}
