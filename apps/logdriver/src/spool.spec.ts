import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordOfDeliveredLine, storedEventText } from '@tsp/events';
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

  const result = (accepted: number, duplicates: number) => expect.objectContaining({ accepted, duplicates, refused: 0 });
  const ids = (tenantId: string, after = 0): string[] => spool.readAfter(tenantId, after, 100).map((e) => e.eventId);

  it('opens in WAL mode with synchronous = FULL and the schema migrated by user_version', () => {
    expect(spool.handle.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(spool.handle.pragma('synchronous', { simple: true })).toBe(2);
    expect(spool.schemaVersion()).toBe(3);
    expect(spool.spoolId).toMatch(/^[0-9a-f]{12}$/);
    spool.append(range(0, 3));
    spool.close();
    spool = new Spool(dir);
    expect(spool.schemaVersion()).toBe(3);
    expect(ids('t1')).toEqual(['e-0', 'e-1', 'e-2']);
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
    expect(spool.tenantIds()).toEqual([]);
    expect(spool.append(range(0, 3))).toEqual(result(3, 0));
  });

  it('a re-sent event is ignored and counted as a duplicate, also within one batch', () => {
    expect(spool.append(range(0, 5))).toEqual(result(5, 0));
    expect(spool.append(range(3, 8))).toEqual(result(3, 2));
    expect(spool.append([intakeEvent(9), intakeEvent(9)])).toEqual(result(1, 1));
    expect(ids('t1')).toHaveLength(9);
  });

  it('reports new events and bytes per tenant, and stores nothing `admit` refuses', () => {
    const admitted: [string, number][] = [];
    const r = spool.append([...range(0, 3, 'a'), ...range(3, 5, 'b'), ...range(5, 6, 'a')], 1000, (t, bytes) => {
      admitted.push([t, bytes]);
      return t !== 'b';
    });
    expect(r.accepted).toBe(4);
    expect(r.refused).toBe(2);
    expect(r.refusedTenants).toEqual(['b', 'b']);
    expect(r.tenants.get('a')?.count).toBe(4);
    expect(r.tenants.get('b')).toBeUndefined();
    expect(r.tenants.get('a')?.bytes).toBe(spool.pendingAfter('a', 0).bytes);
    // admit sees the bytes the tenant would hold from this batch, growing event by event
    expect(admitted.filter(([t]) => t === 'a').map(([, b]) => b)).toEqual([...admitted.filter(([t]) => t === 'a').map(([, b]) => b)].sort((x, y) => x - y));
    expect(spool.tenantIds()).toEqual(['a']);
  });

  it('reads the events of a tenant after a position, in sequence order, with the record as sent', () => {
    spool.append(range(0, 3, 'a'));
    spool.append(range(3, 5, 'b'));
    spool.append(range(5, 7, 'a'));
    const a = spool.readAfter('a', 0, 100);
    expect(a.map((e) => e.eventId)).toEqual(['e-0', 'e-1', 'e-2', 'e-5', 'e-6']);
    expect(spool.readAfter('a', a[1].seq, 2).map((e) => e.eventId)).toEqual(['e-2', 'e-5']);
    const { eventId: _ignored, ...record } = intakeEvent(0, 'a');
    expect(a[0].json).toBe(storedEventText(record));
    expect(spool.pendingAfter('a', a[2].seq)).toMatchObject({ count: 2 });
    expect(spool.between('a', a[0].seq, a[3].seq).count).toBe(3);
  });

  it('keeps kms detail and leaves it out when absent', () => {
    spool.append([{ ...intakeEvent(0), category: 'kms', kms: { kmsConfigId: 3, leased: true } }, intakeEvent(1)]);
    const [a, b] = spool.readAfter('t1', 0, 10).map((e) => recordOfDeliveredLine(e.json) as unknown as Record<string, unknown>);
    expect(a['kms']).toEqual({ kmsConfigId: 3, leased: true });
    expect('kms' in b).toBe(false);
  });

  it('syncCursors: known sinks keep their position, a new sink starts at the least advanced one, removed sinks go', () => {
    spool.append(range(0, 10));
    expect([...spool.syncCursors('t1', ['a'])]).toEqual([['a', 0]]);
    spool.setCursor('t1', 'a', 7);
    expect([...spool.syncCursors('t1', ['a', 'b'])]).toEqual([['a', 7], ['b', 7]]);
    spool.setCursor('t1', 'b', 9);
    expect([...spool.syncCursors('t1', ['b', 'c'])]).toEqual([['b', 9], ['c', 7]]);
    const rows = spool.handle.prepare("SELECT sink_id FROM cursors WHERE tenant_id = 't1' ORDER BY sink_id").all();
    expect(rows).toEqual([{ sink_id: 'b' }, { sink_id: 'c' }]);
  });

  it('setCursor only moves a cursor forward and never re-creates a dropped one', () => {
    spool.append(range(0, 10));
    spool.syncCursors('t1', ['a']);
    spool.setCursor('t1', 'a', 6);
    spool.setCursor('t1', 'a', 3);
    expect(spool.cursorOf('t1', 'a')).toBe(6);
    spool.syncCursors('t1', ['b']);
    spool.setCursor('t1', 'a', 9);
    expect(spool.cursorOf('t1', 'a')).toBeUndefined();
    expect(spool.cursorOf('t1', 'b')).toBe(6);
  });

  it('counts bytes as UTF-8 both at the intake and in the spool', () => {
    const r = spool.append([{ ...intakeEvent(0), customFields: { text: '\u00e9\u4e2d\ud83d\ude00'.repeat(10) } }]);
    const stored = spool.readAfter('t1', 0, 1)[0].json;
    expect(r.tenants.get('t1')?.bytes).toBe(Buffer.byteLength(stored, 'utf8'));
    expect(spool.pendingAfter('t1', 0).bytes).toBe(Buffer.byteLength(stored, 'utf8'));
    expect(Buffer.byteLength(stored, 'utf8')).toBeGreaterThan(stored.length);
  });

  it('retention deletes only events older than the cut that every sink of the tenant passed, and never reuses a sequence', () => {
    spool.append(range(0, 10), 0);
    spool.append(range(10, 12, 'other'), 0);
    const all = spool.readAfter('t1', 0, 100);
    spool.syncCursors('t1', ['a', 'b']);
    spool.setCursor('t1', 'a', all[7].seq);
    spool.setCursor('t1', 'b', all[3].seq);
    const purge = (before: number, limit: number): number =>
      spool.purgeCandidates().reduce((n, c) => n + spool.purgeTenant(c.tenantId, c.upTo, before, limit), 0);
    expect(purge(1000, 3)).toBe(3);
    expect(purge(1000, 3)).toBe(1);
    expect(purge(1000, 3)).toBe(0);
    expect(ids('t1')).toEqual(['e-4', 'e-5', 'e-6', 'e-7', 'e-8', 'e-9']);
    // a tenant without a cursor keeps everything; events younger than the cut stay
    expect(ids('other')).toEqual(['e-10', 'e-11']);
    spool.setCursor('t1', 'b', all[9].seq);
    expect(purge(0, 100)).toBe(0);
    expect(purge(1000, 100)).toBe(4);
    // After the retention, the id is forgotten: a re-sent copy is stored (and delivered) again.
    expect(spool.append([intakeEvent(0)])).toEqual(result(1, 0));
    const after = spool.readAfter('t1', 0, 100);
    expect(after.map((e) => e.eventId)).toEqual(['e-8', 'e-9', 'e-0']);
    expect(after[2].seq).toBeGreaterThan(all[all.length - 1].seq);
  });

  it('migrates a version-2 spool: delivered events become a legacy cursor that new sinks start from', () => {
    spool.close();
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-spool-'));
    const Database = jest.requireActual<typeof import('better-sqlite3')>('better-sqlite3');
    const db = new Database(path.join(dir, 'spool.db'));
    db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL, event TEXT NOT NULL, created_at INTEGER NOT NULL, delivered_at INTEGER);
      CREATE INDEX events_pending ON events (seq) WHERE delivered_at IS NULL;
      CREATE INDEX events_delivered_at ON events (delivered_at) WHERE delivered_at IS NOT NULL;
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('spool_id', 'abcdefabcdef');`);
    const ins = db.prepare('INSERT INTO events (event_id, tenant_id, event, created_at, delivered_at) VALUES (?, ?, ?, 0, ?)');
    for (let i = 1; i <= 5; i++) ins.run(`e-${i}`, 't1', '{}', i <= 3 ? 1 : null);
    db.pragma('user_version = 2');
    db.close();
    spool = new Spool(dir);
    expect(spool.schemaVersion()).toBe(3);
    expect(spool.spoolId).toBe('abcdefabcdef');
    expect([...spool.syncCursors('t1', ['new'])]).toEqual([['new', 3]]);
    expect(ids('t1', 3)).toEqual(['e-4', 'e-5']);
  });
});
