import { createHash, KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import axios, { AxiosInstance } from 'axios';
import { tspSaAuthorization } from './sa-signature';

export type FetchResult = { changed: false } | { changed: true; text: string; etag: string | undefined };

/** Where the signed config document comes from. */
export interface ConfigSource {
  /** For logs and errors: the URL without credentials. */
  readonly description: string;
  /** Whether fetch can wait for a change (`waitSeconds`): a broker can, a file cannot. */
  readonly longPoll: boolean;
  /**
   * The document, or `changed: false` when it still has `previousEtag`. With `waitSeconds` (and a
   * previous ETag) a long-polling source answers when the document changes or after that long.
   */
  fetch(previousEtag: string | undefined, signal: AbortSignal, waitSeconds?: number): Promise<FetchResult>;
}

/** `file://` source: the document on disk; the ETag is a hash of its bytes. */
export class FileConfigSource implements ConfigSource {
  readonly longPoll = false;
  readonly description: string;
  private readonly path: string;

  constructor(url: URL) {
    this.path = fileURLToPath(url);
    this.description = url.href;
  }

  async fetch(previousEtag: string | undefined, signal: AbortSignal): Promise<FetchResult> {
    const bytes = await readFile(this.path, { signal });
    const etag = createHash('sha256').update(bytes).digest('base64');
    if (etag === previousEtag) return { changed: false };
    return { changed: true, text: bytes.toString('utf8'), etag };
  }
}

/**
 * `http(s)://` source: GET with If-None-Match; each request carries a signature by the service
 * account's Ed25519 key over method, path and time, so a broker can authenticate it and bound
 * replays: `Authorization: TSP-SA id=<id>,ts=<unix seconds>,nonce=<32 hex>,sig=<base64>` with
 * sig = Ed25519("GET\n" + path + "\n" + ts + "\n" + nonce). The random nonce makes every request
 * distinct (replicas of one service account poll in the same second), so a broker can refuse a
 * replayed request by its nonce.
 */
export class HttpConfigSource implements ConfigSource {
  readonly longPoll = true;
  readonly description: string;
  private readonly http: AxiosInstance;

  constructor(
    private readonly url: URL,
    private readonly serviceAccountId: string,
    private readonly signingKey: KeyObject,
  ) {
    this.description = urlForLogs(url);
    this.http = axios.create({ validateStatus: () => true, responseType: 'text', transformResponse: (d: unknown) => d, maxRedirects: 0 });
  }

  async fetch(previousEtag: string | undefined, signal: AbortSignal, waitSeconds?: number): Promise<FetchResult> {
    const url = new URL(this.url.href);
    // Long-poll: the broker holds the request until the document changes or `wait` passes.
    if (waitSeconds !== undefined && waitSeconds > 0 && previousEtag !== undefined) url.searchParams.set('wait', String(waitSeconds));
    const headers: Record<string, string> = { authorization: tspSaAuthorization(this.serviceAccountId, this.signingKey, 'GET', url.pathname + url.search) };
    if (previousEtag !== undefined) headers['if-none-match'] = previousEtag;
    const res = await this.http.get<string>(url.href, { headers, signal });
    if (res.status === 304) return { changed: false };
    if (res.status !== 200) throw new Error(`config source answered HTTP ${res.status}`);
    const etag = res.headers['etag'];
    return { changed: true, text: String(res.data), etag: typeof etag === 'string' ? etag : undefined };
  }
}

/** A URL as it may be logged: no user info, no query (a presigned URL carries its token there). */
export function urlForLogs(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Precondition: the URL is file:, http: or https:; otherwise throws naming the variable. */
export function createConfigSource(url: string, serviceAccountId: string, signingKey: KeyObject, what: string): ConfigSource {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a URL`);
  }
  if (parsed.protocol === 'file:') return new FileConfigSource(parsed);
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return new HttpConfigSource(parsed, serviceAccountId, signingKey);
  throw new Error(`${what} must be a file://, http:// or https:// URL`);
}
