import { verify } from 'node:crypto';
import { tspSaSignedMessage } from '@tsp/broker-client';
import type { BrokerRepository, ServiceAccount } from '@tsp/broker-store';
import { decodePublicKey } from '@tsp/config-crypto';
import { BrokerError } from './broker-error';

/** How far a request's `ts` may be from the broker's clock, seconds (either way). */
export const SIGNATURE_WINDOW_SECONDS = 60;

export interface SaRequestAuthOptions {
  repo: BrokerRepository;
  /** Milliseconds since the epoch (tests move it). */
  now: () => number;
  /** Most signatures remembered for replay detection; beyond it requests get 503 until some expire. */
  maxRemembered?: number;
}

const HEADER = /^TSP-SA id=([A-Za-z0-9][A-Za-z0-9._-]{0,127}),ts=(\d{1,12}),nonce=([0-9a-f]{32}),sig=([A-Za-z0-9+/]{86}==)$/;

/**
 * Verifies `Authorization: TSP-SA id=<sa>,ts=<unix s>,nonce=<32 hex>,sig=<base64 Ed25519("GET\n" +
 * pathAndQuery + "\n" + ts + "\n" + nonce)>` (what HttpConfigSource sends). A request with a body
 * (any method but GET) signs METHOD instead of GET and appends "\n" + base64(SHA-256(raw body))
 * (tspSaSignedMessage, shared with the proxies), verified against the raw bytes. Refusals: malformed,
 * stale (|now - ts| > 60 s), unknown account or bad signature → 401; a nonce of the account seen
 * before within the window (a replay) → 401; a revoked account → 403. Messages name what failed,
 * never the header's content.
 */
export class SaRequestAuthenticator {
  /** key: id \n nonce → expiry (ms); insertion order ≈ time order. */
  private readonly seen = new Map<string, number>();
  private readonly maxRemembered: number;

  constructor(private readonly opts: SaRequestAuthOptions) {
    this.maxRemembered = opts.maxRemembered ?? 100_000;
  }

  /** `body`: the raw request body (every method but GET signs its hash; absent = empty). */
  async authenticate(method: string, pathAndQuery: string, authorization: string | undefined, body?: Uint8Array): Promise<ServiceAccount> {
    const m = HEADER.exec(authorization ?? '');
    if (m === null) throw unauthorized('Authorization must be "TSP-SA id=<service account>,ts=<unix seconds>,nonce=<32 hex>,sig=<base64 signature>"');
    const [, id, tsText, nonce, sigText] = m as unknown as [string, string, string, string, string];
    const nowMs = this.opts.now();
    const ts = Number(tsText);
    if (Math.abs(nowMs / 1000 - ts) > SIGNATURE_WINDOW_SECONDS) {
      throw unauthorized(`ts is more than ${SIGNATURE_WINDOW_SECONDS} seconds away from the broker's clock`);
    }
    const sa = await this.opts.repo.getServiceAccount(id);
    if (sa === undefined) throw unauthorized('unknown service account');
    const message = tspSaSignedMessage(method, pathAndQuery, tsText, nonce, body);
    let ok = false;
    try {
      ok = verify(null, message, decodePublicKey(sa.signingPublicKey, 'ed25519', 'signingPublicKey'), Buffer.from(sigText, 'base64'));
    } catch {
      ok = false;
    }
    if (!ok) throw unauthorized('sig does not verify with the service account signing key');
    this.remember(`${id}\n${nonce}`, (ts + SIGNATURE_WINDOW_SECONDS + 1) * 1000, nowMs);
    if (sa.revokedAt !== undefined) throw new BrokerError('forbidden', 'the service account is revoked');
    return sa;
  }

  /** Remembered signatures (for tests and metrics). */
  get remembered(): number {
    return this.seen.size;
  }

  private remember(key: string, expiresAt: number, nowMs: number): void {
    for (const [k, exp] of this.seen) {
      if (exp > nowMs) break;
      this.seen.delete(k);
    }
    const prior = this.seen.get(key);
    if (prior !== undefined && prior > nowMs) throw unauthorized('this signed request was already used (replay)');
    if (this.seen.size >= this.maxRemembered) {
      // Expiries are not strictly ordered (ts may lie in the future), so sweep all before giving up.
      for (const [k, exp] of this.seen) if (exp <= nowMs) this.seen.delete(k);
      if (this.seen.size >= this.maxRemembered) throw new BrokerError('unavailable', 'too many signed requests within the replay window; retry later');
    }
    this.seen.set(key, expiresAt);
  }
}

function unauthorized(message: string): BrokerError {
  return new BrokerError('unauthorized', message);
}
