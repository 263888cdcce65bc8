import type { Logger } from '@tsp/observability';
import type { Spool } from './spool';

/** Rows deleted per transaction: small, so the intake never waits long behind a purge. */
export const PURGE_BATCH = 500;
/** Longest pause between purges, ms. */
const MAX_INTERVAL_MS = 60_000;

/**
 * Deletes events older than the retention (counted from their commit) that every sink of their
 * tenant has passed, in small batches with a turn of the event loop between them. Undelivered
 * events are never deleted. While an event is kept, a re-sent copy is recognised as a duplicate.
 */
export class RetentionPurger {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly spool: Spool,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly onPurged: (n: number) => void = () => undefined,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(1000, Math.min(MAX_INTERVAL_MS, Math.floor(this.retentionMs / 4)));
    this.timer = setInterval(() => void this.purge(), every);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One purge pass; returns how many rows went. */
  async purge(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let total = 0;
    try {
      let sinceYield = 0;
      for (const { tenantId, upTo } of this.spool.purgeCandidates()) {
        for (;;) {
          const n = this.spool.purgeTenant(tenantId, upTo, now - this.retentionMs, PURGE_BATCH);
          total += n;
          sinceYield += n + 1;
          if (n > 0) this.onPurged(n);
          if (sinceYield >= PURGE_BATCH) {
            sinceYield = 0;
            await new Promise<void>((r) => setImmediate(r));
          }
          if (n < PURGE_BATCH || this.stopped) break;
        }
        if (this.stopped) break;
      }
    } catch (err) {
      this.logger.warn('spool purge failed; will retry', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.running = false;
    }
    return total;
  }
}
