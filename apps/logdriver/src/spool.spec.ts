import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IntakeEvent, Spool } from './spool';

function intakeEvent(n: number, tenantId = 't1'): IntakeEvent {
  return {
    eventId: `e-${n}`,
    category: 'application',
    tenantId,
    timestampMillis: 1_700_000_000_000 + n,
    iclFields: { event: 'USER_LOGIN', requestingId: `u${n}`, tspRayId: `ray-${n}` },
    customFields: { n: String(n) },
  };
}

const range = (from: number, to: number, tenantId?: string): IntakeEvent[] =>
  Array.from({ length: to - from }, (_, i) => intakeEvent(from + i, tenantId));

describe('Spool', () => {
  let dir: string;
  let spool: Spool;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-spool-'));
    spool = new Spool(dir);
  });
  afterEach(() => {
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with synchronous = FULL and the schema migrated by user_version', () => {
    expect(spool.handle.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(spool.handle.pragma('synchronous', { simple: true })).toBe(2);
    expect(spool.schemaVersion()).toBe(2);
    expect(spool.spoolId).toMatch(/^[0-9a-f]{12}$/);
    spool.append(range(0, 3));
    spool.close();
    spool = new Spool(dir);
    expect(spool.schemaVersion()).toBe(2);
    expect(spool.spoolId).toMatch(/^[0-9a-f]{12}$/);
    expect(spool.pendingCount()).toBe(3);
  });

  it('refuses a spool whose schema is newer than this logdriver', () => {
    spool.handle.pragma('user_version = 99');
    spool.close();
    expect(() => (spool = new Spool(dir))).toThrow(/newer/);
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-spool-'));
    spool = new Spool(dir); // for afterEach
  });

  it('a batch with one invalid event stores nothing (one transaction)', () => {
    const bad = { ...intakeEvent(3), tenantId: null } as unknown as IntakeEvent;
    expect(() => spool.append([...range(0, 3), bad, ...range(4, 6)])).toThrow();
    expect(spool.pendingCount()).toBe(0);
    expect(spool.pending(100)).toEqual([]);
    expect(spool.append(range(0, 3))).toEqual({ accepted: 3, duplicates: 0 });
  });

  it('a re-sent event is ignored and counted as a duplicate, also within one batch', () => {
    expect(spool.append(range(0, 5))).toEqual({ accepted: 5, duplicates: 0 });
    expect(spool.append(range(3, 8))).toEqual({ accepted: 3, duplicates: 2 });
    expect(spool.append([intakeEvent(9), intakeEvent(9)])).toEqual({ accepted: 1, duplicates: 1 });
    expect(spool.pendingCount()).toBe(9);
    spool.markDelivered(spool.pending(100).map((e) => e.seq));
    expect(spool.append(range(0, 2))).toEqual({ accepted: 0, duplicates: 2 });
  });

  it('returns undelivered events in sequence order, across batches and tenants, and the record as sent', () => {
    spool.append(range(0, 3, 'a'));
    spool.append(range(3, 5, 'b'));
    spool.append(range(5, 7, 'a'));
    const pending = spool.pending(100);
    expect(pending.map((e) => e.eventId)).toEqual(range(0, 7).map((e) => e.eventId));
    expect(pending.map((e) => e.seq)).toEqual([...pending.map((e) => e.seq)].sort((x, y) => x - y));
    expect(pending[3].tenantId).toBe('b');
    const { eventId: _ignored, ...record } = intakeEvent(0, 'a');
    expect(pending[0].event).toEqual(record);
    expect(spool.pending(2).map((e) => e.eventId)).toEqual(['e-0', 'e-1']);
  });

  it('keeps kms detail and leaves it out when absent', () => {
    spool.append([{ ...intakeEvent(0), category: 'kms', kms: { kmsConfigId: 3, leased: true } }, intakeEvent(1)]);
    const [a, b] = spool.pending(10);
    expect(a.event.kms).toEqual({ kmsConfigId: 3, leased: true });
    expect('kms' in b.event).toBe(false);
  });

  it('delivered events leave the pending set; the order of the rest is kept', () => {
    spool.append(range(0, 6));
    const first = spool.pending(4);
    spool.markDelivered(first.map((e) => e.seq));
    expect(spool.pending(100).map((e) => e.eventId)).toEqual(['e-4', 'e-5']);
    expect(spool.pendingCount()).toBe(2);
    spool.append(range(6, 8));
    expect(spool.pending(100).map((e) => e.eventId)).toEqual(['e-4', 'e-5', 'e-6', 'e-7']);
  });

  it('pendingWindow counts up to the limit and reports the oldest commit time', () => {
    expect(spool.pendingWindow(10)).toEqual({ count: 0, oldestCreatedAt: 0 });
    spool.append(range(0, 3), 1000);
    spool.append(range(3, 6), 2000);
    expect(spool.pendingWindow(4)).toEqual({ count: 4, oldestCreatedAt: 1000 });
    expect(spool.oldestPendingAt()).toBe(1000);
  });

  it('retention deletes only delivered rows older than the cut, in batches, and never reuses a sequence', () => {
    spool.append(range(0, 10), 0);
    const all = spool.pending(100);
    spool.markDelivered(all.slice(0, 4).map((e) => e.seq), 1000);
    spool.markDelivered(all.slice(4, 6).map((e) => e.seq), 5000);
    expect(spool.purgeDelivered(2000, 3)).toBe(3);
    expect(spool.purgeDelivered(2000, 3)).toBe(1);
    expect(spool.purgeDelivered(2000, 3)).toBe(0);
    const count = (): number => (spool.handle.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    expect(count()).toBe(6);
    expect(spool.pendingCount()).toBe(4);
    expect(spool.purgeDelivered(10_000, 100)).toBe(2);
    expect(spool.pending(100).map((e) => e.eventId)).toEqual(['e-6', 'e-7', 'e-8', 'e-9']);
    // After the retention, the id is forgotten: a re-sent copy is stored (and delivered) again.
    expect(spool.append([intakeEvent(0)])).toEqual({ accepted: 1, duplicates: 0 });
    const seqs = spool.pending(100).map((e) => e.seq);
    expect(seqs[seqs.length - 1]).toBeGreaterThan(all[all.length - 1].seq);
  });
});
