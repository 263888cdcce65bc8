import { hash, timingSafeEqual } from 'node:crypto';

const PREFIX = 'cmk ';

/**
 * Checks `Authorization: cmk <API_KEY>` against the configured keys (API_KEY and, during
 * rotation, API_KEY_2). Both sides are hashed to equal length first, then compared with
 * timingSafeEqual against every key, so timing says nothing about the key or which matched.
 */
export class ApiKeyAuth {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('at least one API key is required');
    this.digests = keys.map(digest);
  }

  check(header: string | undefined): boolean {
    if (header === undefined || header.length <= PREFIX.length || !header.startsWith(PREFIX)) return false;
    const presented = digest(header.slice(PREFIX.length));
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(presented, d) || ok;
    return ok;
  }
}

/** One-shot SHA-256 (crypto.hash, Node 20.12+): cheaper than a Hash object per request. */
function digest(key: string): Buffer {
  return hash('sha256', key, 'buffer') as unknown as Buffer;
}
