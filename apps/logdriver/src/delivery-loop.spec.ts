import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { SecurityEventRecord } from '@tsp/events';
import { createLogger } from '@tsp/observability';
import { DeliveryLoop } from './delivery-loop';
import type { EventSink } from './file-sink';
import { RetentionPurger } from './retention-purger';
import { IntakeEvent, Spool } from './spool';

const silent = createLogger({ level: 'error', service: 'test', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

const events = (from: number, to: number, tenantId = 't1'): IntakeEvent[] =>
  Array.from({ length: to - from }, (_, i) => ({
    eventId: `e-${from + i}`,
    category: 'application',
    tenantId,
    timestampMillis: from + i,
    iclFields: { event: 'E', requestingId: 'u', tspRayId: `ray-${from + i}` },
    customFields: {},
  }));

class RecordingSink implements EventSink {
  readonly name = 'recording';
  readonly calls: { tenantId: string; ids: string[]; at: number }[] = [];
  async deliver(tenantId: string, batch: readonly SecurityEventRecord[]): Promise<void> {
    this.calls.push({ tenantId, ids: batch.map((e) => e.iclFields.tspRayId), at: Date.now() });
  }
}

describe('DeliveryLoop and RetentionPurger', () => {
  let dir: string;
  let spool: Spool;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-delivery-'));
    spool = new Spool(dir);
  });
  afterEach(() => {
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers in sequence order in batches of at most maxBatch, grouped by tenant', async () => {
    const sink = new RecordingSink();
    spool.append([...events(0, 1500, 'a'), ...events(1500, 2500, 'b'), ...events(2500, 2600, 'a')]);
    const loop = new DeliveryLoop(spool, sink, silent, { maxBatch: 1000, maxWaitMs: 10, retryMs: 10, maxRetryMs: 10 });
    expect(await loop.deliverOnce()).toBe(1000);
    expect(await loop.deliverOnce()).toBe(1000);
    expect(await loop.deliverOnce()).toBe(600);
    expect(await loop.deliverOnce()).toBe(0);
    expect(sink.calls.map((c) => [c.tenantId, c.ids.length])).toEqual([['a', 1000], ['a', 500], ['b', 500], ['b', 500], ['a', 100]]);
    const a = sink.calls.filter((c) => c.tenantId === 'a').flatMap((c) => c.ids);
    expect(a).toEqual([...events(0, 1500), ...events(2500, 2600)].map((e) => e.iclFields.tspRayId));
    expect(spool.pendingCount()).toBe(0);
  });

  it('a partial batch waits up to maxWaitMs for more events; a full one goes at once', async () => {
    const sink = new RecordingSink();
    const loop = new DeliveryLoop(spool, sink, silent, { maxBatch: 100, maxWaitMs: 300, retryMs: 10, maxRetryMs: 10 });
    loop.start();
    try {
      const t0 = Date.now();
      spool.append(events(0, 10));
      loop.notify();
      await new Promise((r) => setTimeout(r, 100));
      expect(sink.calls).toEqual([]);
      spool.append(events(10, 20));
      loop.notify();
      await new Promise((r) => setTimeout(r, 400));
      expect(sink.calls).toHaveLength(1);
      expect(sink.calls[0].ids).toHaveLength(20);
      expect(sink.calls[0].at - t0).toBeGreaterThanOrEqual(250);
      const t1 = Date.now();
      spool.append(events(20, 120));
      loop.notify();
      await new Promise((r) => setTimeout(r, 100));
      expect(sink.calls[1].ids).toHaveLength(100);
      expect(sink.calls[1].at - t1).toBeLessThan(100);
    } finally {
      await loop.stop();
    }
  });

  it('a delivery that fails leaves the whole batch pending (nothing marked)', async () => {
    const sink: EventSink = { name: 'down', deliver: () => Promise.reject(new Error('down')) };
    spool.append(events(0, 5));
    await expect(new DeliveryLoop(spool, sink, silent).deliverOnce()).rejects.toThrow('down');
    expect(spool.pendingCount()).toBe(5);
  });

  it('the purger deletes delivered rows past the retention in batches of 500, never pending ones', async () => {
    spool.append(events(0, 1300), 0);
    spool.markDelivered(spool.pending(1200).map((e) => e.seq), 1000);
    const purged: number[] = [];
    const purger = new RetentionPurger(spool, 60_000, silent, (n) => purged.push(n));
    expect(await purger.purge(30_000)).toBe(0);
    expect(await purger.purge(61_001)).toBe(1200);
    expect(purged).toEqual([500, 500, 200]);
    expect(spool.pendingCount()).toBe(100);
    expect(await purger.purge(10_000_000)).toBe(0);
  });
});
