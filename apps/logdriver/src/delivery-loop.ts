import type { SecurityEventRecord } from '@tsp/events';
import type { Logger } from '@tsp/observability';
import type { EventSink } from './file-sink';
import type { Spool, SpooledEvent } from './spool';

export interface DeliveryOptions {
  /** Most events read from the spool and delivered at once. */
  maxBatch: number;
  /** A partial batch waits this long (from its oldest event's commit) for more events, ms. */
  maxWaitMs: number;
  /** First pause after a failed delivery; doubles up to maxRetryMs (with jitter), ms. */
  retryMs: number;
  maxRetryMs: number;
  onDelivered?(sink: string, events: number, oldestCreatedAt: number): void;
  onFailure?(sink: string, err: unknown): void;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = { maxBatch: 1000, maxWaitMs: 200, retryMs: 250, maxRetryMs: 30_000 };

/**
 * One loop reads undelivered events from the spool in sequence order, in batches of up to
 * maxBatch (or what arrived within maxWaitMs), hands each tenant's share to the sink, and only
 * when every tenant's share was delivered marks the batch delivered in one transaction. A
 * failed batch is retried whole after a capped backoff (at least once: tenants already
 * delivered get their events again). Order is kept per tenant.
 *
 * `notify()` wakes the loop early (the intake calls it after a commit); `stop()` lets the batch
 * in flight finish and resolves when the loop has ended.
 */
export class DeliveryLoop {
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set while in a retry backoff: notify() must not cut it short, only stop() does. */
  private inBackoff = false;
  private failures = 0;

  constructor(
    private readonly spool: Spool,
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly opts: DeliveryOptions = DEFAULT_DELIVERY_OPTIONS,
  ) {}

  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.running = this.loop().catch((err: unknown) => {
      this.logger.error('delivery loop ended by an unexpected error', { error: errorMessage(err) });
    });
  }

  notify(): void {
    if (!this.inBackoff) this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  /** Delivers one batch if any event waits; returns how many were delivered. For tests too. */
  async deliverOnce(): Promise<number> {
    const batch = this.spool.pending(this.opts.maxBatch);
    if (batch.length === 0) return 0;
    for (const [tenantId, events] of byTenant(batch, this.spool.spoolId)) await this.sink.deliver(tenantId, events);
    this.spool.markDelivered(batch.map((e) => e.seq));
    let oldest = batch[0].createdAt;
    for (const e of batch) if (e.createdAt < oldest) oldest = e.createdAt;
    this.opts.onDelivered?.(this.sink.name, batch.length, oldest);
    return batch.length;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const waitMs = this.nextWait();
      if (waitMs > 0) {
        await this.sleep(waitMs);
        continue;
      }
      try {
        await this.deliverOnce();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.opts.onFailure?.(this.sink.name, err);
        this.logger.warn('delivery failed; will retry', { sink: this.sink.name, error: errorMessage(err), attempt: this.failures });
        if (!this.stopping) {
          this.inBackoff = true;
          await this.sleep(this.backoff());
          this.inBackoff = false;
        }
      }
    }
  }

  /** 0 when a batch should go now; else how long to wait (for events, or for a batch to fill). */
  private nextWait(): number {
    const head = this.spool.pendingWindow(this.opts.maxBatch);
    if (head.count === 0) return this.opts.maxWaitMs;
    if (head.count >= this.opts.maxBatch) return 0;
    const age = Date.now() - head.oldestCreatedAt;
    return age >= this.opts.maxWaitMs ? 0 : this.opts.maxWaitMs - age;
  }

  private backoff(): number {
    const base = Math.min(this.opts.maxRetryMs, this.opts.retryMs * 2 ** Math.min(this.failures - 1, 20));
    return base / 2 + Math.random() * (base / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/** Groups a batch by tenant, stamping each event with its logdriverRayId (`<spool id>-<seq>`). */
function byTenant(batch: readonly SpooledEvent[], spoolId: string): Map<string, SecurityEventRecord[]> {
  const out = new Map<string, SecurityEventRecord[]>();
  for (const e of batch) {
    let list = out.get(e.tenantId);
    if (list === undefined) out.set(e.tenantId, (list = []));
    list.push({ ...e.event, iclFields: { ...e.event.iclFields, logdriverRayId: `${spoolId}-${e.seq}` } });
  }
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
