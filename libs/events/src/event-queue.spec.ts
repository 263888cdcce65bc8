import { EventChannel, EventQueue, EventQueueOptions } from './event-queue';
import { SecurityEventRecord } from './security-event';

function event(n: number): SecurityEventRecord {
  return {
    category: 'application',
    tenantId: 't1',
    timestampMillis: 1_700_000_000_000 + n,
    iclFields: { event: 'USER_LOGIN', requestingId: `u${n}`, tspRayId: `ray-${n}` },
    customFields: {},
  };
}

const ids = (batch: readonly SecurityEventRecord[]): string[] => batch.map((e) => e.iclFields.tspRayId);
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `ray-${from + i}`);

/** Records batches; `failNext` makes the next sends reject; `hold` keeps sends pending until released. */
class RecordingChannel implements EventChannel {
  readonly batches: string[][] = [];
  failNext = 0;
  private held: (() => void)[] = [];
  hold = false;

  async send(batch: readonly SecurityEventRecord[]): Promise<void> {
    const copy = ids(batch);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('logdriver unavailable');
    }
    this.batches.push(copy);
  }

  release(): void {
    this.hold = false;
    this.held.splice(0).forEach((r) => r());
  }

  get delivered(): string[] {
    return this.batches.flat();
  }
}

function queue(channel: EventChannel, over: Partial<EventQueueOptions> = {}): EventQueue {
  return new EventQueue(channel, { capacity: 10, maxBatch: 3, flushIntervalMs: 60_000, ...over });
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('EventQueue', () => {
  it('is bounded: when full, enqueue returns false and the drop is counted', () => {
    const drops: number[] = [];
    const q = queue(new RecordingChannel(), { capacity: 5, maxBatch: 100, onDrop: (n) => drops.push(n) });
    for (let i = 0; i < 5; i++) expect(q.enqueue(event(i))).toBe(true);
    expect(q.enqueue(event(5))).toBe(false);
    expect(q.enqueue(event(6))).toBe(false);
    expect(q.depth).toBe(5);
    expect(q.droppedCount).toBe(2);
    expect(drops).toEqual([1, 1]);
  });

  it('drain hands everything to the channel in batches of at most maxBatch, in order', async () => {
    const ch = new RecordingChannel();
    const depths: number[] = [];
    const q = queue(ch, { capacity: 100, maxBatch: 3, onDepth: (d) => depths.push(d) });
    for (let i = 0; i < 8; i++) q.enqueue(event(i));
    await q.drain();
    await tick();
    expect(ch.batches.map((b) => b.length)).toEqual([3, 3, 2]);
    expect(ch.delivered).toEqual(range(0, 8));
    expect(q.depth).toBe(0);
    expect(depths[depths.length - 1]).toBe(0);
  });

  it('a full batch triggers a drain by itself', async () => {
    const ch = new RecordingChannel();
    const q = queue(ch, { maxBatch: 3 });
    q.enqueue(event(0));
    q.enqueue(event(1));
    await tick();
    expect(ch.batches).toEqual([]);
    q.enqueue(event(2));
    await tick();
    expect(ch.delivered).toEqual(range(0, 3));
  });

  it('the timer drains a partial batch after flushIntervalMs', async () => {
    jest.useFakeTimers();
    try {
      const ch = new RecordingChannel();
      const q = queue(ch, { flushIntervalMs: 2000 });
      q.start();
      q.enqueue(event(0));
      await jest.advanceTimersByTimeAsync(1999);
      expect(ch.batches).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(ch.delivered).toEqual(['ray-0']);
      await q.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('a batch the channel rejects is retried later without loss, duplication or reordering', async () => {
    const ch = new RecordingChannel();
    const errors: unknown[] = [];
    const q = queue(ch, { capacity: 100, maxBatch: 3, onSendError: (e) => errors.push(e) });
    for (let i = 0; i < 7; i++) q.enqueue(event(i));
    ch.failNext = 1;
    await q.drain();
    expect(errors).toHaveLength(1);
    expect(ch.delivered).toEqual([]);
    expect(q.depth).toBe(7);
    for (let i = 7; i < 9; i++) q.enqueue(event(i));
    ch.failNext = 1;
    await tick();
    await q.drain();
    await q.drain();
    expect(ch.delivered).toEqual(range(0, 9));
    expect(q.droppedCount).toBe(0);
  });

  it('events enqueued while a send is in flight keep their order behind a failed batch', async () => {
    const ch = new RecordingChannel();
    const q = queue(ch, { capacity: 100, maxBatch: 3 });
    for (let i = 0; i < 3; i++) q.enqueue(event(i));
    ch.hold = true;
    ch.failNext = 1;
    const first = q.drain();
    await tick();
    q.enqueue(event(3));
    q.enqueue(event(4));
    ch.release();
    await first;
    await q.drain();
    expect(ch.delivered).toEqual(range(0, 5));
  });

  it('when a retried batch no longer fits, the overflow is dropped and counted, order kept', async () => {
    const ch = new RecordingChannel();
    const q = queue(ch, { capacity: 4, maxBatch: 3 });
    for (let i = 0; i < 3; i++) q.enqueue(event(i));
    ch.hold = true;
    ch.failNext = 1;
    const first = q.drain();
    await tick();
    for (let i = 3; i < 6; i++) expect(q.enqueue(event(i))).toBe(true); // room freed by the batch in flight
    ch.release();
    await first;
    expect(q.depth).toBe(4);
    expect(q.droppedCount).toBe(2);
    await q.drain();
    await q.drain();
    expect(ch.delivered).toEqual(['ray-0', 'ray-3', 'ray-4', 'ray-5']);
  });

  it('close() drains what is left', async () => {
    const ch = new RecordingChannel();
    const q = queue(ch, { capacity: 100, maxBatch: 3 });
    q.start();
    for (let i = 0; i < 5; i++) q.enqueue(event(i));
    await q.close();
    expect(ch.delivered).toEqual(range(0, 5));
    expect(q.depth).toBe(0);
  });

  it('close() during a drain in flight resolves only after every event was handed over', async () => {
    const ch = new RecordingChannel();
    const q = queue(ch, { capacity: 100, maxBatch: 3 });
    for (let i = 0; i < 7; i++) q.enqueue(event(i));
    ch.hold = true;
    void q.drain();
    await tick();
    let closed = false;
    const closing = q.close().then(() => {
      closed = true;
    });
    await tick();
    expect(closed).toBe(false);
    ch.release();
    await closing;
    expect(ch.delivered).toEqual(range(0, 7));
  });
});
