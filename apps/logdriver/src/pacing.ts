/**
 * Capped exponential backoff with full jitter: a uniformly random wait in
 * [0, min(capMs, baseMs * 2^(failures-1))], but never less than what the remote system asked
 * for (Retry-After), which may exceed the cap (clamped by the sink to 10 minutes).
 */
export function backoffMs(failures: number, baseMs: number, capMs: number, retryAfterMs?: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
}

/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most `burst`. One token is one
 * event delivered. `waitFor(n)` says how long until n tokens (n capped at burst) are there;
 * `take(n)` spends them (the balance may go negative by what the cap cut off, which slows the
 * next batch accordingly: the sustained rate holds even for batches bigger than the burst).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSecond) / 1000);
    this.last = t;
  }

  waitFor(n: number): number {
    this.refill();
    const need = Math.min(n, this.burst) - this.tokens;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.ratePerSecond);
  }

  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }
}
