import { timingSafeEqual } from 'node:crypto';

const PREFIX = 'cmk ';

/**
 * Checks `Authorization: cmk <API_KEY>` against the configured keys (API_KEY and, during
 * rotation, API_KEY_2). The whole header is compared with timingSafeEqual against each expected
 * header of the same length, every one of them every time: timing says nothing about the
 * key's content or which key matched (only whether the length is one of the keys' lengths, as
 * with any length-first comparison).
 */
export class ApiKeyAuth {
  private readonly expected: Buffer[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('at least one API key is required');
    this.expected = keys.map((k) => Buffer.from(PREFIX + k, 'latin1'));
  }

  check(header: string | undefined): boolean {
    if (header === undefined || header.length <= PREFIX.length) return false;
    const presented = Buffer.from(header, 'latin1');
    let ok = false;
    for (const e of this.expected) {
      if (e.length === presented.length && timingSafeEqual(presented, e)) ok = true;
    }
    return ok;
  }
}
