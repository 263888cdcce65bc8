import type { IncomingMessage } from 'node:http';

/** What was read of a request body: the bytes kept and how many arrived in all. */
export interface CappedBody {
  /** The chunks read while the running total stayed within the cap (all of them when size <= cap). */
  data: Buffer;
  /** Bytes received in all, kept or not. */
  size: number;
}

/** Collects a request body; `keep(total)` says whether the chunk that brought the total there is kept. */
function collect(req: IncomingMessage, keep: (total: number) => boolean): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (keep(size)) chunks.push(c);
    });
    req.on('end', () => resolve({ data: Buffer.concat(chunks), size }));
    req.on('error', reject);
  });
}

/**
 * Reads a request body to its end, keeping chunks only while the running total stays within
 * `cap` bytes (the rest is counted and dropped, so the client can finish sending and be answered).
 * Rejects when the request fails (e.g. the client resets the connection).
 */
export function readCappedBody(req: IncomingMessage, cap: number): Promise<CappedBody> {
  return collect(req, (total) => total <= cap);
}

/**
 * The whole request body, or 'too-large' when more than `limit` bytes arrived (all of it is read
 * either way, so the fake can still answer, e.g. 413). Rejects when the request fails.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const { data, size } = await readCappedBody(req, limit);
  return size > limit ? 'too-large' : data;
}

/**
 * The whole request body; past `limit` bytes the request is destroyed (the client sees its
 * connection reset) and the promise rejects. For services that do not answer an oversized body.
 */
export async function readBodyOrDestroy(req: IncomingMessage, limit: number): Promise<Buffer> {
  const { data } = await collect(req, (total) => {
    if (total <= limit) return true;
    req.destroy(new Error('body too large'));
    return false;
  });
  return data;
}

/**
 * JSON text parsed, or undefined when it is not JSON; `whenEmpty` (default undefined) stands for
 * an empty text. Never throws: control APIs answer a bad body with their own message.
 */
export function parseJsonLenient(text: string, whenEmpty?: unknown): unknown {
  if (text === '') return whenEmpty;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
