import { EventNotAcknowledged } from './event-acknowledgement';
import { EventChannel, EventQueue, EventQueueOptions } from './event-queue';
import type { SecurityEventRecord } from './security-event';

function event(n: number): SecurityEventRecord {
  return { category: 'kms', tenantId: 't1', timestampMillis: 1_700_000_000_000 + n, iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: `ray-${n}` }, customFields: {} };
}

/** Records each send (attempts included); can hold sends until released and fail the next ones. */
class GateChannel implements EventChannel {
  readonly attempts: string[][] = [];
  readonly acknowledged: string[][] = [];
  failNext = 0;
  hold = false;
  private held: (() => void)[] = [];

  async send(batch: readonly SecurityEventRecord[]): Promise<void> {
    const ids = batch.map((e) => e.iclFields.tspRayId);
    this.attempts.push(ids);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('logdriver answered HTTP 503');
    }
    this.acknowledged.push(ids);
  }

  release(): void {
    this.hold = false;
    this.held.splice(0).forEach((r) => r());
  }
}

/** A promise's state, observed without waiting for it. */
function track(p: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (t.state = 'resolved'),
    (e: unknown) => {
      t.state = 'rejected';
      t.error = e;
    },
  );
  return t;
}

function waitFor(p: Promise<void> | false): Promise<void> {
  if (p === false) throw new Error('the queue refused the event');
  return p;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function queue(channel: EventChannel, over: Partial<EventQueueOptions> = {}): EventQueue {
  // A flush interval of a minute: anything delivered below was sent without the timer.
  return new EventQueue(channel, { capacity: 1000, maxBatch: 1000, flushIntervalMs: 60_000, ...over });
}

describe('EventQueue.enqueueAndWait (strict audit)', () => {
  it('resolves only once the batch holding the event is acknowledged', async () => {
    const ch = new GateChannel();
    ch.hold = true;
    const q = queue(ch);
    const t = track(waitFor(q.enqueueAndWait(event(0), 5000)));
    await tick();
    await tick();
    expect(ch.attempts).toEqual([['ray-0']]);
    expect(t.state).toBe('pending');
    ch.release();
    await tick();
    expect(t.state).toBe('resolved');
    expect(q.waiting).toBe(0);
  });

  it('group commit: waiters that arrive during a send share the next batch, sent as soon as the first is acknowledged', async () => {
    const ch = new GateChannel();
    ch.hold = true;
    const q = queue(ch);
    const first = track(waitFor(q.enqueueAndWait(event(0), 5000)));
    await tick();
    const rest = Array.from({ length: 50 }, (_, i) => track(waitFor(q.enqueueAndWait(event(i + 1), 5000))));
    await tick();
    expect(ch.attempts).toHaveLength(1);
    expect(rest.every((t) => t.state === 'pending')).toBe(true);
    ch.hold = false;
    ch.release();
    await sleep(20);
    expect(first.state).toBe('resolved');
    expect(rest.every((t) => t.state === 'resolved')).toBe(true);
    // Two sends for 51 waiters; the second carried all 50 and needed no timer.
    expect(ch.acknowledged.map((b) => b.length)).toEqual([1, 50]);
  });

  it('events of one turn of the event loop go out in one batch', async () => {
    const ch = new GateChannel();
    const q = queue(ch);
    await Promise.all(Array.from({ length: 20 }, (_, i) => waitFor(q.enqueueAndWait(event(i), 5000))));
    expect(ch.acknowledged).toEqual([Array.from({ length: 20 }, (_, i) => `ray-${i}`)]);
  });

  it('a failed batch is retried and its waiters resolve on the later success within the timeout', async () => {
    const ch = new GateChannel();
    ch.failNext = 2;
    const q = queue(ch, { flushIntervalMs: 10, maxBackoffMs: 20 });
    q.start();
    const started = Date.now();
    await Promise.all([waitFor(q.enqueueAndWait(event(0), 3000)), waitFor(q.enqueueAndWait(event(1), 3000))]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ch.attempts).toEqual([['ray-0', 'ray-1'], ['ray-0', 'ray-1'], ['ray-0', 'ray-1']]);
    expect(ch.acknowledged).toEqual([['ray-0', 'ray-1']]);
    await q.close();
  });

  it('rejects with reason timeout when no acknowledgement comes in time; the event stays queued', async () => {
    const ch = new GateChannel();
    ch.failNext = Number.MAX_SAFE_INTEGER;
    const q = queue(ch, { flushIntervalMs: 10, maxBackoffMs: 20 });
    q.start();
    const started = Date.now();
    const err = await waitFor(q.enqueueAndWait(event(0), 150)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(EventNotAcknowledged);
    expect((err as EventNotAcknowledged).reason).toBe('timeout');
    expect((err as EventNotAcknowledged).message).toBe('the event was not acknowledged within 150 ms');
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    expect(ch.attempts.length).toBeGreaterThan(1);
    expect(q.depth).toBe(1);
    expect(q.waiting).toBe(0);
    // The event may still arrive later: once the channel recovers, it is delivered.
    ch.failNext = 0;
    await sleep(60);
    expect(ch.acknowledged).toEqual([['ray-0']]);
    await q.close();
  });

  it('a full queue refuses at once: false, nothing queued, the drop counted', () => {
    const drops: number[] = [];
    const q = queue(new GateChannel(), { capacity: 2, onDrop: (n) => drops.push(n) });
    expect(q.enqueue(event(0))).toBe(true);
    expect(q.enqueue(event(1))).toBe(true);
    expect(q.enqueueAndWait(event(2), 5000)).toBe(false);
    expect(q.depth).toBe(2);
    expect(q.waiting).toBe(0);
    expect(drops).toEqual([1]);
  });

  it('waiters of events dropped when a failed batch no longer fits are rejected with reason dropped', async () => {
    const ch = new GateChannel();
    ch.hold = true;
    ch.failNext = 1;
    const q = queue(ch, { capacity: 4, maxBatch: 3 });
    const batch = [0, 1, 2].map((i) => track(waitFor(q.enqueueAndWait(event(i), 5000))));
    await tick();
    await tick();
    expect(ch.attempts).toEqual([['ray-0', 'ray-1', 'ray-2']]);
    for (let i = 3; i < 6; i++) expect(q.enqueue(event(i))).toBe(true);
    ch.release();
    await tick();
    await tick();
    expect(batch.map((t) => t.state)).toEqual(['pending', 'rejected', 'rejected']);
    expect((batch[1].error as EventNotAcknowledged).reason).toBe('dropped');
    expect(q.waiting).toBe(1);
    await q.drain();
    await tick();
    expect(batch[0].state).toBe('resolved');
  });

  it('close() resolves what it delivers, rejects what it cannot with reason closed, and refuses new waiters', async () => {
    const ch = new GateChannel();
    const q = queue(ch);
    const delivered = track(waitFor(q.enqueueAndWait(event(0), 5000)));
    await q.close();
    expect(delivered.state).toBe('resolved');
    expect(q.enqueueAndWait(event(1), 5000)).toBe(false);

    const failing = new GateChannel();
    failing.failNext = Number.MAX_SAFE_INTEGER;
    const q2 = queue(failing);
    const stuck = track(waitFor(q2.enqueueAndWait(event(2), 60_000)));
    await q2.close();
    await tick();
    expect(stuck.state).toBe('rejected');
    expect((stuck.error as EventNotAcknowledged).reason).toBe('closed');
    expect(q2.waiting).toBe(0);
  });

  it('plain enqueue is unchanged: it waits for a full batch or the timer, and nobody waits', async () => {
    const ch = new GateChannel();
    const q = queue(ch, { maxBatch: 3 });
    q.enqueue(event(0));
    await tick();
    await tick();
    expect(ch.attempts).toEqual([]);
    expect(q.waiting).toBe(0);
  });
});
