import { deliveredLineOfStored, recordOfDeliveredLine, SecurityEventRecord } from '@tsp/events';
import type { Logger } from '@tsp/observability';
import { DeliveryOutcome, ItemFailure, scrubOutcome, scrubSecrets, Sink, SinkEvent } from '@tsp/sinks-core';
import type { DeadLetterStore, NewDeadLetter } from './dead-letters';
import { backoffMs, TokenBucket } from './pacing';
import type { Spool, SpooledEvent } from './spool';

/** How one (tenant, sink) pipeline batches, paces and retries. */
export interface PipelineSettings {
  maxEvents: number;
  maxBytes: number;
  /** A partial batch waits this long from its oldest event's commit for more events. */
  maxAgeMs: number;
  ratePerSecond: number;
  burst: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Deadline of one send; a hanging sink is abandoned (retry) after it. */
  sendTimeoutMs: number;
  /** The sink's credential strings: scrubbed from every reason the pipeline logs or stores. */
  secrets: readonly string[];
}

/** How long stop() lets a send in flight finish before aborting it, ms. */
export const STOP_GRACE_MS = 5000;

/** Sends of one item a sink keeps asking to retry (partial outcomes) before it is dead-lettered. */
export const MAX_ITEM_ATTEMPTS = 10;

/** What a pipeline reports; the scheduler turns it into metrics and quota accounting. */
export interface PipelineEvents {
  /** A send finished with `outcome` for `events` events; `oldestCreatedAt` of the batch. */
  sent(sinkType: string, outcome: DeliveryOutcome['kind'], events: number, delivered: number, oldestCreatedAt: number): void;
  deadLettered(sinkType: string, events: number): void;
  /** The sink's cursor moved from `fromSeq` to `toSeq`. */
  progressed(sinkId: string, fromSeq: number, toSeq: number): void;
}

export interface PipelineDeps {
  spool: Spool;
  deadLetters: DeadLetterStore;
  logger: Logger;
  events: PipelineEvents;
}

/**
 * Delivers one tenant's events to one of its sinks, in sequence order, on its own loop: a slow
 * or failing sink holds only this loop (every send has a deadline), never another sink or
 * tenant. Position is a cursor in the spool (the highest seq delivered or dead-lettered in
 * order), moved in the same transaction as any dead letters; so after a crash delivery resumes
 * where it was, at least once.
 *
 * Per batch: wait until maxEvents or maxBytes are reached or the oldest event is maxAgeMs old;
 * wait for the rate limit; send; then
 * - delivered: the cursor moves past the batch;
 * - reject: the batch becomes dead letters and the cursor moves past it;
 * - partial: refused items become dead letters, delivered ones are remembered, items to retry
 *   hold the cursor and go again (with what came after) after a backoff;
 * - retry (or a send past its deadline): backoff with full jitter, at least Retry-After.
 */
export class SinkPipeline {
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** What a sleep waits for: new events (idle), a full batch (a partial one is ageing), or nothing. */
  private waitingFor: 'events' | 'full-batch' | 'none' = 'none';
  private failures = 0;
  private redriveWanted = false;
  /** The last loop turn was a re-drive: the next one sends new events (they take turns). */
  private justRedrove = false;
  /** Seqs after the cursor already delivered or dead-lettered (after partial outcomes). */
  private readonly doneAhead = new Set<number>();
  /** Attempts of items a sink keeps asking to retry (partial outcomes), by seq. */
  private readonly itemAttempts = new Map<number, number>();
  /** Aborts the send in flight when the pipeline stops. */
  private readonly stopSends = new AbortController();
  private readonly bucket: TokenBucket;
  private cursorSeq: number;

  constructor(
    readonly tenantId: string,
    readonly sinkId: string,
    readonly sinkType: string,
    private readonly sink: Sink,
    private readonly settings: PipelineSettings,
    cursor: number,
    private readonly deps: PipelineDeps,
  ) {
    this.cursorSeq = cursor;
    this.bucket = new TokenBucket(settings.ratePerSecond, settings.burst);
  }

  get cursor(): number {
    return this.cursorSeq;
  }

  start(): void {
    this.running ??= this.loop().catch((err: unknown) => {
      this.deps.logger.error('delivery pipeline ended by an unexpected error', { sinkId: this.sinkId, sinkType: this.sinkType, error: messageOf(err) });
    });
  }

  /**
   * New events of the tenant were committed; `pending` is how many the tenant has waiting.
   * An idle loop wakes; a loop ageing a partial batch wakes only once a full batch may be
   * there, so a busy intake does not make every tenant's loop re-read the spool per commit.
   */
  notify(pending = Infinity): void {
    if (this.waitingFor === 'events' || (this.waitingFor === 'full-batch' && pending >= this.settings.maxEvents)) this.wake?.();
  }

  /** Dead letters of this sink were marked for re-drive. */
  redrive(): void {
    this.redriveWanted = true;
    if (this.waitingFor !== 'none') this.wake?.();
  }

  /**
   * Ends the loop and closes the sink. A send in flight may finish within `graceMs`; then it is
   * aborted (its batch counts as a retry: whoever runs this sink next sends it again), so a
   * hanging sink cannot hold a shutdown or a reconfiguration for its whole send deadline.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const abort = setTimeout(() => this.stopSends.abort(), graceMs);
    await this.running;
    clearTimeout(abort);
    await this.sink.close().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.turn();
      } catch (err) {
        // A storage error (disk full, a lock held too long) or a bad row: never end the loop.
        // Start again from the cursor as stored, after a backoff.
        this.failures++;
        this.doneAhead.clear();
        this.itemAttempts.clear();
        const wait = backoffMs(this.failures, this.settings.retryBaseMs, this.settings.retryMaxMs);
        this.deps.logger.error('delivery pipeline step failed; will retry', {
          sinkId: this.sinkId, sinkType: this.sinkType, attempt: this.failures, waitMs: wait, error: this.scrub(messageOf(err)),
        });
        try {
          this.cursorSeq = Math.max(this.cursorSeq, this.deps.spool.cursorOf(this.tenantId, this.sinkId) ?? this.cursorSeq);
        } catch {
          // the next turn will fail again and come back here
        }
        await this.sleep(wait, 'none');
      }
    }
  }

  /** One step: a re-drive batch, a wait, or one batch of new events. */
  private async turn(): Promise<void> {
    if (this.redriveWanted && !this.justRedrove) {
      this.justRedrove = true;
      await this.redriveOnce();
      return;
    }
    this.justRedrove = false;
    const rows = this.deps.spool.readAfter(this.tenantId, this.cursorSeq, this.settings.maxEvents + this.doneAhead.size);
    const { batch, bytes } = this.cut(rows);
    if (batch.length === 0) {
      this.advance(rows);
      if (!this.redriveWanted) await this.sleep(60_000, 'events');
      return;
    }
    const full = batch.length >= this.settings.maxEvents || rows.length - this.doneAhead.size > batch.length || bytes >= this.settings.maxBytes;
    const age = Date.now() - batch[0].createdAt;
    if (!full && age < this.settings.maxAgeMs && !this.redriveWanted) {
      await this.sleep(this.settings.maxAgeMs - age, 'full-batch');
      return;
    }
    const events: SinkEvent[] = [];
    const unreadable: ItemFailure[] = [];
    batch.forEach((r, index) => {
      try {
        events.push(this.sinkEvent(r.seq, r.json));
      } catch {
        unreadable.push({ index, retry: false, reason: 'the stored event could not be read back (spool row damaged)' });
      }
    });
    if (unreadable.length > 0) {
      // Never retried forever in front of the tenant's other events: those rows become dead letters.
      this.settle(rows, batch, { kind: 'partial', failed: unreadable }, false);
      return;
    }
    if (!(await this.paced(batch.length))) return;
    const outcome = await this.send(events);
    this.settle(rows, batch, outcome);
    await this.afterOutcome(outcome);
  }

  /** The next batch: rows not done yet, within maxEvents and maxBytes (at least one row), and its bytes. */
  private cut(rows: readonly SpooledEvent[]): { batch: SpooledEvent[]; bytes: number } {
    const out: SpooledEvent[] = [];
    let bytes = 0;
    for (const r of rows) {
      if (this.doneAhead.has(r.seq)) continue;
      if (out.length >= this.settings.maxEvents || (out.length > 0 && bytes + r.json.length + 1 > this.settings.maxBytes)) break;
      out.push(r);
      bytes += r.json.length + 1;
    }
    return { batch: out, bytes };
  }

  /** Waits for the rate limit; false when stopping meanwhile. */
  private async paced(n: number): Promise<boolean> {
    for (let wait = this.bucket.waitFor(n); wait > 0; wait = this.bucket.waitFor(n)) {
      await this.sleep(wait, 'none');
      if (this.stopping) return false;
    }
    this.bucket.take(n);
    return true;
  }

  private sinkEvent(seq: number, stored: string): SinkEvent {
    return new StoredSinkEvent(deliveredLineOfStored(stored, `${this.deps.spool.spoolId}-${seq}`));
  }

  private async send(batch: readonly SinkEvent[]): Promise<DeliveryOutcome> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.settings.sendTimeoutMs), this.stopSends.signal]);
    try {
      const outcome = await Promise.race([
        this.sink.send(batch, signal),
        new Promise<DeliveryOutcome>((resolve) =>
          signal.addEventListener('abort', () => resolve({ kind: 'retry', reason: `send took longer than ${this.settings.sendTimeoutMs} ms` }), { once: true }),
        ),
      ]);
      return scrubOutcome(outcome, this.settings.secrets);
    } catch (err) {
      // A sink must not throw; if one does, the batch is retried (never lost).
      return { kind: 'retry', reason: `sink failed: ${this.scrub(messageOf(err))}` };
    }
  }

  /**
   * Applies an outcome to the spool: dead letters and the cursor, in one transaction. `sent`
   * false: nothing went to the sink (only the failed items are settled; the others stay pending).
   */
  private settle(rows: readonly SpooledEvent[], batch: readonly SpooledEvent[], outcome: DeliveryOutcome, sent = true): void {
    const letters: NewDeadLetter[] = [];
    let delivered = 0;
    if (outcome.kind === 'delivered') {
      for (const r of batch) this.doneAhead.add(r.seq);
      delivered = batch.length;
    } else if (outcome.kind === 'reject') {
      for (const r of batch) {
        this.doneAhead.add(r.seq);
        letters.push({ seq: r.seq, eventId: r.eventId, event: r.json, reason: outcome.reason });
      }
    } else if (outcome.kind === 'partial') {
      const failed = new Map(outcome.failed.map((f) => [f.index, f] as const));
      batch.forEach((r, i) => {
        const f = failed.get(i);
        if (f === undefined) {
          if (!sent) return;
          delivered++;
          this.doneAhead.add(r.seq);
        } else if (!f.retry) {
          this.doneAhead.add(r.seq);
          letters.push({ seq: r.seq, eventId: r.eventId, event: r.json, reason: f.reason });
        } else {
          // An item the sink keeps asking to retry must not hold the tenant's delivery forever.
          const attempts = (this.itemAttempts.get(r.seq) ?? 0) + 1;
          if (attempts < MAX_ITEM_ATTEMPTS) this.itemAttempts.set(r.seq, attempts);
          else {
            this.itemAttempts.delete(r.seq);
            this.doneAhead.add(r.seq);
            letters.push({ seq: r.seq, eventId: r.eventId, event: r.json, reason: `still failing after ${attempts} attempts: ${f.reason}` });
          }
        }
      });
    }
    if (sent) this.deps.events.sent(this.sinkType, outcome.kind, batch.length, delivered, batch[0].createdAt);
    if (letters.length > 0) {
      this.deps.spool.transaction(() => {
        this.deps.deadLetters.add(this.tenantId, this.sinkId, this.sinkType, letters);
        this.advance(rows);
      });
      this.deps.events.deadLettered(this.sinkType, letters.length);
      this.deps.logger.warn('sink refused events for good; stored as dead letters', { sinkId: this.sinkId, sinkType: this.sinkType, events: letters.length, reason: letters[0].reason });
    } else {
      this.advance(rows);
    }
  }

  /** Moves the cursor over the done prefix of `rows` (the rows read, in seq order). */
  private advance(rows: readonly SpooledEvent[]): void {
    const from = this.cursorSeq;
    let to = from;
    for (const r of rows) {
      if (!this.doneAhead.has(r.seq)) break;
      this.doneAhead.delete(r.seq);
      this.itemAttempts.delete(r.seq);
      to = r.seq;
    }
    if (to === from) return;
    this.deps.spool.setCursor(this.tenantId, this.sinkId, to);
    this.cursorSeq = to;
    this.deps.events.progressed(this.sinkId, from, to);
  }

  private async afterOutcome(outcome: DeliveryOutcome): Promise<void> {
    const retrying = outcome.kind === 'retry' || (outcome.kind === 'partial' && outcome.failed.some((f) => f.retry));
    if (!retrying) {
      this.failures = 0;
      return;
    }
    this.failures++;
    const retryAfter = outcome.kind === 'retry' ? outcome.retryAfterMs : undefined;
    const wait = backoffMs(this.failures, this.settings.retryBaseMs, this.settings.retryMaxMs, retryAfter);
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.deps.logger.warn('sink delivery failed; will retry', {
        sinkId: this.sinkId, sinkType: this.sinkType, attempt: this.failures, waitMs: wait,
        auth: outcome.kind === 'retry' && outcome.auth === true, reason: outcome.kind === 'retry' ? outcome.reason : 'some items to retry',
      });
    }
    await this.sleep(wait, 'none');
  }

  /** Sends dead letters marked for re-drive (one batch); delivered ones are deleted. */
  private async redriveOnce(): Promise<void> {
    const letters = this.deps.deadLetters.takeMarked(this.tenantId, this.sinkId, this.settings.maxEvents);
    if (letters.length === 0) {
      this.redriveWanted = false;
      return;
    }
    if (!(await this.paced(letters.length))) return;
    const outcome = await this.send(letters.map((l) => this.sinkEvent(l.seq, l.event)));
    const ids = letters.map((l) => l.id);
    if (outcome.kind === 'delivered') this.deps.deadLetters.settle(ids, []);
    else if (outcome.kind === 'reject') this.deps.deadLetters.settle([], ids.map((id) => ({ id, reason: outcome.reason })));
    else if (outcome.kind === 'partial') {
      const failed = new Map(outcome.failed.map((f) => [f.index, f] as const));
      const ok = ids.filter((_id, i) => !failed.has(i));
      const refused = ids.flatMap((id, i) => (failed.get(i)?.retry === false ? [{ id, reason: failed.get(i)?.reason ?? '' }] : []));
      this.deps.deadLetters.settle(ok, refused);
    }
    this.deps.events.sent(this.sinkType, outcome.kind, letters.length, outcome.kind === 'delivered' ? letters.length : 0, letters[0].failedAt);
    await this.afterOutcome(outcome);
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.settings.secrets);
  }

  /** Sleeps `ms`, or until notify() sees what it waits for. stop() always ends it. */
  private sleep(ms: number, waitingFor: 'events' | 'full-batch' | 'none'): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.wake = undefined;
        self.waitingFor = 'none';
        resolve();
      }
      this.waitingFor = waitingFor;
      this.wake = done;
    });
  }
}

/** A SinkEvent whose record is parsed only if a sink asks for it (the file sink never does). */
class StoredSinkEvent implements SinkEvent {
  private parsed: SecurityEventRecord | undefined;

  constructor(readonly json: string) {}

  get record(): SecurityEventRecord {
    return (this.parsed ??= recordOfDeliveredLine(this.json));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
