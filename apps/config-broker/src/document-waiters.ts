import { BrokerError } from './broker-error';

/** Why a wait ended: the sequence moved, `wait` ran out, the broker is closing, or the client left. */
export type WaitOutcome = 'changed' | 'timeout' | 'closing' | 'gone';

export interface DocumentWaitersOptions {
  /** Reads the repository's document sequence (the only read made while requests wait). */
  readSequence: () => Promise<number>;
  /** Most requests waiting at once; beyond it `wait` throws 503 'unavailable' (default 10,000). */
  maxWaiters?: number;
  /** How often the sequence is read while anyone waits, ms (default 1000): catches other instances' writes. */
  pollIntervalMs?: number;
  /** Reports a failed sequence read (the waiters keep waiting; the next tick retries). */
  onReadError?: (e: unknown) => void;
}

interface Waiter {
  seenSequence: number;
  timer: NodeJS.Timeout;
  finish: (outcome: WaitOutcome) => void;
}

/**
 * Long-poll support for the config document: requests whose ETag is current park here until the
 * sequence differs from the one they saw, their deadline passes, their client disconnects or the
 * broker closes. One shared `readSequence()` per notify or poll tick serves all waiters (never a
 * tenant scan). The poll timer runs only while someone waits.
 */
export class DocumentWaiters {
  private readonly waiters = new Set<Waiter>();
  private readonly maxWaiters: number;
  private readonly pollIntervalMs: number;
  private poll: NodeJS.Timeout | undefined;
  private checking = false;
  private recheck = false;
  private closing = false;

  constructor(private readonly opts: DocumentWaitersOptions) {
    this.maxWaiters = opts.maxWaiters ?? 10_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
  }

  /** Requests currently waiting. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Waits until the sequence is no longer `seenSequence` or `waitMs` pass. `onGone` receives a
   * callback the caller must invoke when its client disconnects (the waiter is then dropped).
   * Precondition: `waitMs` > 0. Throws BrokerError 'unavailable' when `maxWaiters` already wait.
   */
  wait(seenSequence: number, waitMs: number, onGone: (leave: () => void) => void): Promise<WaitOutcome> {
    if (this.closing) return Promise.resolve('closing');
    if (this.waiters.size >= this.maxWaiters) throw new BrokerError('unavailable', 'too many config document requests are waiting; retry later');
    return new Promise<WaitOutcome>((resolve) => {
      const waiter: Waiter = {
        seenSequence,
        timer: setTimeout(() => waiter.finish('timeout'), waitMs),
        finish: (outcome) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(waiter.timer);
          if (this.waiters.size === 0) this.stopPolling();
          resolve(outcome);
        },
      };
      this.waiters.add(waiter);
      this.startPolling();
      onGone(() => waiter.finish('gone'));
    });
  }

  /** A write happened in this process: read the sequence once and wake whoever it concerns. */
  notify(): void {
    if (this.waiters.size > 0) void this.check();
  }

  /** Answers every waiter with 'closing' and refuses to park new ones. */
  close(): void {
    this.closing = true;
    for (const w of [...this.waiters]) w.finish('closing');
    this.stopPolling();
  }

  private startPolling(): void {
    if (this.poll !== undefined) return;
    this.poll = setInterval(() => void this.check(), this.pollIntervalMs);
    this.poll.unref();
  }

  private stopPolling(): void {
    if (this.poll === undefined) return;
    clearInterval(this.poll);
    this.poll = undefined;
  }

  /** One sequence read at a time; a notify arriving meanwhile triggers one more read after it. */
  private async check(): Promise<void> {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.recheck = false;
        let sequence: number;
        try {
          sequence = await this.opts.readSequence();
        } catch (e) {
          this.opts.onReadError?.(e);
          return;
        }
        for (const w of [...this.waiters]) if (w.seenSequence !== sequence) w.finish('changed');
      } while (this.recheck && this.waiters.size > 0);
    } finally {
      this.checking = false;
    }
  }
}
