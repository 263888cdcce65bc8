import type { SecurityEventRecord } from './security-event';

/** Where queued events go in batches. The logdriver channel implements this later. */
export interface EventChannel {
  /** Resolves when the batch is handed over; rejects to have it retried. */
  send(batch: readonly SecurityEventRecord[]): Promise<void>;
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

/**
 * A bounded in-process queue: `enqueue` never blocks and never allocates beyond the capacity;
 * when full the event is dropped and counted. A single drain loop hands batches to the channel;
 * a failed batch is put back in front (up to capacity) and retried after a capped exponential
 * backoff with jitter (flushInterval·2^n, at most maxBackoffMs), so a logdriver that is down is
 * not hammered; the first success resets it.
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

  constructor(private readonly channel: EventChannel, private readonly opts: EventQueueOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (Date.now() >= this.retryAt) void this.drain();
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
    if (this.buf.length >= this.opts.maxBatch && !this.draining && Date.now() >= this.retryAt) setImmediate(() => void this.drain());
    return true;
  }

  /** Hands everything queued to the channel, batch by batch. */
  drain(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.drainLoop().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async drainLoop(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.buf.length > 0) {
        const batch = this.buf.length <= this.opts.maxBatch ? this.buf : this.buf.slice(0, this.opts.maxBatch);
        this.buf = batch === this.buf ? [] : this.buf.slice(batch.length);
        try {
          await this.channel.send(batch);
          this.failures = 0;
          this.retryAt = 0;
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

  /** Stops the timer, waits for a drain in flight, and drains what is left (graceful shutdown). */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.running !== undefined) await this.running;
    await this.drain();
  }
}
