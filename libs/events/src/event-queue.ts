import { EventNotAcknowledged } from './event-acknowledgement';
import type { SecurityEventRecord } from './security-event';

/**
 * Where queued events go in batches. `send` resolves when the batch is handed over (rejects to
 * have it retried); it may name events the receiver refused for good (the logdriver's tenant
 * quota, a batch it can never take): those are dropped, counted, and their waiters rejected.
 */
export interface EventChannel {
  send(batch: readonly SecurityEventRecord[]): Promise<void | { refused: readonly SecurityEventRecord[] }>;
}

export interface EventQueueOptions {
  capacity: number;
  /** Most events handed to the channel at once. */
  maxBatch: number;
  /** How often the queue is drained when it does not fill a batch, ms. */
  flushIntervalMs: number;
  /** Longest wait between retries while the channel fails, ms (default 5000). */
  maxBackoffMs?: number;
  onDepth?: (depth: number) => void;
  onDrop?: (count: number) => void;
  onSendError?: (err: unknown) => void;
}

/** A caller of enqueueAndWait waiting for the channel to acknowledge its event. */
interface Waiter {
  resolve(): void;
  reject(e: EventNotAcknowledged): void;
  timer: NodeJS.Timeout;
}

/**
 * A bounded in-process queue: `enqueue` never blocks and never allocates beyond the capacity;
 * when full the event is dropped and counted. A single drain loop hands batches to the channel;
 * a failed batch is put back in front (up to capacity) and retried after a capped exponential
 * backoff with jitter (flushInterval·2^n, at most maxBackoffMs), so a logdriver that is down is
 * not hammered; the first success resets it.
 *
 * Acknowledged events (strict audit): `enqueueAndWait` resolves once the channel accepted the
 * batch holding the event. Such an event starts a drain at once (on the next turn of the event
 * loop, so events of one turn share a batch), and the drain loop sends whatever accumulated
 * during a send as soon as that send is acknowledged: group commit with one send in flight, no
 * fixed delay. Waiters are looked up only when some exist, so `enqueue` costs what it did.
 */
export class EventQueue {
  private buf: SecurityEventRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  /** The drain loop in progress, so close() can wait for it. */
  private running: Promise<void> | undefined;
  private dropped = 0;
  private failures = 0;
  private retryAt = 0;
  private readonly waiters = new Map<SecurityEventRecord, Waiter>();
  private drainScheduled = false;
  private closed = false;

  constructor(private readonly channel: EventChannel, private readonly opts: EventQueueOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (Date.now() >= this.retryAt) void this.drain(false);
    }, this.opts.flushIntervalMs);
    this.timer.unref();
  }

  get depth(): number {
    return this.buf.length;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Returns false when the event was dropped because the queue is full. */
  enqueue(e: SecurityEventRecord): boolean {
    if (this.buf.length >= this.opts.capacity) {
      this.dropped++;
      this.opts.onDrop?.(1);
      return false;
    }
    this.buf.push(e);
    if (this.buf.length >= this.opts.maxBatch && !this.draining && Date.now() >= this.retryAt) setImmediate(() => void this.drain(false));
    return true;
  }

  /** Events whose callers still wait for their acknowledgement. */
  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Enqueues `e` and returns a promise that resolves when the channel acknowledged the batch
   * holding it, or false (nothing queued, nothing allocated) when the queue is full or closed.
   * The promise rejects with EventNotAcknowledged: 'timeout' after `timeoutMs` (the event stays
   * queued and may still be delivered later), 'dropped' when a failed batch holding it no longer
   * fit back into the queue, 'closed' when the queue closed before it was acknowledged.
   * Precondition: `e` is a new object, not enqueued before (waiters are keyed by identity).
   */
  enqueueAndWait(e: SecurityEventRecord, timeoutMs: number): Promise<void> | false {
    if (this.closed || !this.enqueue(e)) return false;
    const acknowledged = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(e);
        reject(new EventNotAcknowledged('timeout', `the event was not acknowledged within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(e, { resolve, reject, timer });
    });
    this.scheduleDrain();
    return acknowledged;
  }

  /** Starts a drain on the next turn of the event loop unless one runs, is due, or backs off. */
  private scheduleDrain(): void {
    if (this.draining || this.drainScheduled || Date.now() < this.retryAt) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  private settle(batch: readonly SecurityEventRecord[], failure?: EventNotAcknowledged): void {
    for (const e of batch) {
      const w = this.waiters.get(e);
      if (w === undefined) continue;
      this.waiters.delete(e);
      clearTimeout(w.timer);
      if (failure === undefined) w.resolve();
      else w.reject(failure);
    }
  }

  /**
   * Hands what is queued to the channel, batch by batch. `all` false (the flush timer and a
   * full batch use it): after the first batch, best effort sends only full batches, the rest
   * waits for the next flush, so events travel in large batches.
   */
  drain(all = true): Promise<void> {
    if (this.running === undefined) {
      this.running = this.drainLoop(all).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async drainLoop(all: boolean): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.buf.length > 0) {
        const batch = this.buf.length <= this.opts.maxBatch ? this.buf : this.buf.slice(0, this.opts.maxBatch);
        this.buf = batch === this.buf ? [] : this.buf.slice(batch.length);
        try {
          const answer = await this.channel.send(batch);
          this.failures = 0;
          this.retryAt = 0;
          const refused = answer === undefined ? [] : answer.refused;
          if (refused.length > 0) {
            this.dropped += refused.length;
            this.opts.onDrop?.(refused.length);
            if (this.waiters.size > 0) this.settle(refused, new EventNotAcknowledged('refused', 'the logdriver refused the event (tenant over its spool quota, or an event it can never store)'));
          }
          if (this.waiters.size > 0) this.settle(batch);
          // Best effort: a partial batch waits for the flush timer (or a full batch), so events
          // travel in large batches (a send per few events would cost more than the events).
          // Strict waiters and a closing queue go on at once (group commit, final flush).
          if (!all && this.waiters.size === 0 && this.buf.length < this.opts.maxBatch) break;
        } catch (err) {
          this.opts.onSendError?.(err);
          this.failures++;
          const backoff = Math.min(this.opts.maxBackoffMs ?? 5000, this.opts.flushIntervalMs * 2 ** Math.min(this.failures - 1, 16));
          this.retryAt = Date.now() + backoff * (0.5 + Math.random() / 2);
          const room = this.opts.capacity - this.buf.length;
          const keep = batch.length <= room ? batch : batch.slice(0, room);
          if (keep.length < batch.length) {
            this.dropped += batch.length - keep.length;
            this.opts.onDrop?.(batch.length - keep.length);
            if (this.waiters.size > 0) {
              this.settle(batch.slice(keep.length), new EventNotAcknowledged('dropped', 'the event was dropped: the queue was full when its failed batch was put back'));
            }
          }
          this.buf = keep.concat(this.buf);
          break;
        }
      }
    } finally {
      this.draining = false;
      this.opts.onDepth?.(this.buf.length);
    }
  }

  /**
   * Stops the timer, waits for a drain in flight, and drains what is left (graceful shutdown).
   * Afterwards enqueueAndWait refuses, and callers still waiting (their batch failed) are
   * rejected with 'closed'.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.running !== undefined) await this.running;
    await this.drain();
    if (this.waiters.size > 0) this.settle([...this.waiters.keys()], new EventNotAcknowledged('closed', 'the event queue closed before the event was acknowledged'));
  }
}
