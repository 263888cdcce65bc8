import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SecurityEventRecord, storedEventText, WireEvent } from '@tsp/events';

/** An event as the intake accepted it: the proxy's record plus its unique id (the contract's WireEvent). */
export type IntakeEvent = WireEvent;

/** An event read back from the spool for delivery, in sequence order. */
export interface SpooledEvent {
  seq: number;
  eventId: string;
  /** Milliseconds since the epoch when the intake committed it. */
  createdAt: number;
  /** The stored text: the delivered line without logdriverRayId (older spools: the record JSON). */
  json: string;
}

export interface TenantAppend {
  count: number;
  bytes: number;
}

export interface AppendResult {
  accepted: number;
  duplicates: number;
  /** Events refused by `admit` (the tenant is over its disk quota): not stored. */
  refused: number;
  /** Tenant and eventId of each refused event. */
  refusedTenants: string[];
  refusedIds: string[];
  /** New events per tenant in this batch. */
  tenants: Map<string, TenantAppend>;
}

/** Decides whether a tenant may store `bytes` more (its events of this batch included). */
export type AdmitFn = (tenantId: string, bytes: number) => boolean;

export interface PendingStats {
  count: number;
  bytes: number;
  oldestCreatedAt: number | undefined;
}

/** The file name of the spool inside TSP_LOGDRIVER_SPOOL_DIR. */
export const SPOOL_FILE = 'spool.db';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` holds how many ran. A migration is
 * never edited once released: add a new one.
 *
 * - seq: AUTOINCREMENT, so a sequence number is never reused even after retention deleted rows.
 * - event_id UNIQUE: a re-sent event (the proxy delivers at least once) is ignored. Uniqueness
 *   holds while the first copy is in the spool, i.e. until retention deletes it after delivery.
 * - pending index: partial, over undelivered rows only, so reading the next batch stays cheap
 *   however many delivered rows wait for retention.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id TEXT NOT NULL UNIQUE,
     tenant_id TEXT NOT NULL,
     event TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER
   );
   CREATE INDEX events_pending ON events (seq) WHERE delivered_at IS NULL;
   CREATE INDEX events_delivered_at ON events (delivered_at) WHERE delivered_at IS NOT NULL;`,
  // The spool's own random id: with seq it makes each delivered event's logdriverRayId, stable
  // across restarts (a redelivered event keeps its id) and distinct between logdrivers.
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   INSERT INTO meta (key, value) VALUES ('spool_id', lower(hex(randomblob(6))));`,
  // Per-(tenant, sink) delivery: a cursor per sink (the highest seq of the tenant delivered or
  // dead-lettered by it, in order), dead letters with a copy of the event, and an index to read
  // a tenant's events in order. delivered_at is no longer written; a spool from before keeps
  // its progress as one '_legacy' cursor per tenant (new sinks start from it).
  `DROP INDEX events_pending;
   DROP INDEX events_delivered_at;
   CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
   CREATE TABLE cursors (
     tenant_id TEXT NOT NULL,
     sink_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (tenant_id, sink_id)
   ) WITHOUT ROWID;
   INSERT INTO cursors (tenant_id, sink_id, seq)
     SELECT tenant_id, '_legacy', MAX(seq) FROM events WHERE delivered_at IS NOT NULL GROUP BY tenant_id;
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     tenant_id TEXT NOT NULL,
     sink_id TEXT NOT NULL,
     sink_type TEXT NOT NULL,
     seq INTEGER NOT NULL,
     event_id TEXT NOT NULL,
     event TEXT NOT NULL,
     reason TEXT NOT NULL,
     failed_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 1,
     redrive INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX dead_letters_tenant ON dead_letters (tenant_id, sink_id, id);
   CREATE INDEX dead_letters_redrive ON dead_letters (tenant_id, sink_id, id) WHERE redrive = 1;`,
];

interface Row {
  seq: number;
  event_id: string;
  event: string;
  created_at: number;
}

/**
 * The disk spool: every accepted event is committed here (WAL, synchronous = FULL, so an
 * acknowledged batch survives a crash or power loss) before the intake answers, and stays until
 * every current sink of its tenant passed it (each sink's cursor) and the retention has passed.
 *
 * better-sqlite3 is synchronous: each method runs to completion on the event loop, so the intake
 * and the delivery pipelines never interleave inside one transaction.
 */
export class Spool {
  /** Random id of this spool (see migration 2). */
  readonly spoolId: string;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly selectAfter: Database.Statement<[string, number, number], Row>;
  private readonly statsAfter: Database.Statement<[string, number], { n: number; bytes: number | null; oldest: number | null }>;
  private readonly rangeStats: Database.Statement<[string, number, number], { n: number; bytes: number | null }>;
  private readonly oldestUpTo: Database.Statement<[string, number, number], { seq: number; created_at: number }>;
  private readonly deleteUpTo: Database.Statement<[string, number]>;
  private readonly appendTx: (events: readonly IntakeEvent[], now: number, admit: AdmitFn | undefined) => AppendResult;
  private readonly cursorsTx: (tenantId: string, sinkIds: readonly string[]) => Map<string, number>;
  private readonly upsertCursor: Database.Statement<[string, string, number]>;
  private readonly advanceCursor: Database.Statement<[number, string, string, number]>;
  private readonly cursorRow: Database.Statement<[string, string], { seq: number }>;
  private readonly leastOf: Database.Statement<[string], { seq: number | null }>;

  /**
   * Opens (creating if needed) `<dir>/spool.db` and brings its schema up to date. `existing`
   * (operator tools): the file must exist and have exactly this version's schema; nothing is
   * created or migrated.
   */
  constructor(dir: string, opts: { existing?: boolean } = {}) {
    if (opts.existing === true) {
      this.db = new Database(path.join(dir, SPOOL_FILE), { fileMustExist: true });
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== MIGRATIONS.length) {
        this.db.close();
        throw new Error(`the spool has schema version ${version}, this tool needs ${MIGRATIONS.length}: use the tool of the logdriver that runs on it`);
      }
    } else {
      mkdirSync(dir, { recursive: true });
      this.db = new Database(path.join(dir, SPOOL_FILE));
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    if (opts.existing !== true) migrate(this.db);
    this.spoolId = (this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'spool_id'").get() as { value: string }).value;
    this.insert = this.db.prepare(
      // ON CONFLICT(event_id), not INSERT OR IGNORE: OR IGNORE would also skip rows that break
      // NOT NULL, silently dropping a bad event instead of failing the batch.
      'INSERT INTO events (event_id, tenant_id, event, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING',
    );
    this.selectAfter = this.db.prepare<[string, number, number], Row>(
      'SELECT seq, event_id, event, created_at FROM events WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    // Bytes are UTF-8 bytes, as the intake counts them (Buffer.byteLength).
    this.statsAfter = this.db.prepare(
      'SELECT COUNT(*) AS n, SUM(length(CAST(event AS BLOB))) AS bytes, MIN(created_at) AS oldest FROM events WHERE tenant_id = ? AND seq > ?',
    );
    this.rangeStats = this.db.prepare(
      'SELECT COUNT(*) AS n, SUM(length(CAST(event AS BLOB))) AS bytes FROM events WHERE tenant_id = ? AND seq > ? AND seq <= ?',
    );
    this.oldestUpTo = this.db.prepare('SELECT seq, created_at FROM events WHERE tenant_id = ? AND seq <= ? ORDER BY seq LIMIT ?');
    this.deleteUpTo = this.db.prepare('DELETE FROM events WHERE tenant_id = ? AND seq <= ?');
    this.upsertCursor = this.db.prepare('INSERT INTO cursors (tenant_id, sink_id, seq) VALUES (?, ?, ?) ON CONFLICT (tenant_id, sink_id) DO NOTHING');
    this.advanceCursor = this.db.prepare('UPDATE cursors SET seq = ? WHERE tenant_id = ? AND sink_id = ? AND seq < ?');
    this.cursorRow = this.db.prepare('SELECT seq FROM cursors WHERE tenant_id = ? AND sink_id = ?');
    this.leastOf = this.db.prepare('SELECT MIN(seq) AS seq FROM cursors WHERE tenant_id = ?');
    const cursorsOf = this.db.prepare<[string], { sink_id: string; seq: number }>('SELECT sink_id, seq FROM cursors WHERE tenant_id = ?');
    const dropCursor = this.db.prepare<[string, string]>('DELETE FROM cursors WHERE tenant_id = ? AND sink_id = ?');
    this.appendTx = this.db.transaction((events: readonly IntakeEvent[], now: number, admit: AdmitFn | undefined): AppendResult => {
      let accepted = 0;
      const refusedTenants: string[] = [];
      const refusedIds: string[] = [];
      const tenants = new Map<string, TenantAppend>();
      for (const e of events) {
        const json = eventJson(e);
        let t = tenants.get(e.tenantId);
        const bytes = Buffer.byteLength(json, 'utf8');
        if (admit !== undefined && !admit(e.tenantId, (t?.bytes ?? 0) + bytes)) {
          refusedTenants.push(e.tenantId);
          refusedIds.push(e.eventId);
          continue;
        }
        if (this.insert.run(e.eventId, e.tenantId, json, now).changes === 0) continue;
        accepted++;
        if (t === undefined) tenants.set(e.tenantId, (t = { count: 0, bytes: 0 }));
        t.count++;
        t.bytes += bytes;
      }
      const refused = refusedTenants.length;
      return { accepted, duplicates: events.length - accepted - refused, refused, refusedTenants, refusedIds, tenants };
    });
    this.cursorsTx = this.db.transaction((tenantId: string, sinkIds: readonly string[]): Map<string, number> => {
      const existing = new Map(cursorsOf.all(tenantId).map((r) => [r.sink_id, r.seq] as const));
      let start = Infinity;
      for (const seq of existing.values()) start = Math.min(start, seq);
      if (start === Infinity) start = 0;
      const out = new Map<string, number>();
      for (const id of sinkIds) {
        const seq = existing.get(id) ?? start;
        if (!existing.has(id)) this.upsertCursor.run(tenantId, id, seq);
        out.set(id, seq);
      }
      for (const id of existing.keys()) if (!out.has(id)) dropCursor.run(tenantId, id);
      return out;
    });
  }

  /**
   * Commits a whole batch in ONE transaction: all of it is durable when this returns, or (when
   * it throws) none of it is stored. Events whose eventId is already spooled count as
   * duplicates; events `admit` refuses (tenant over quota) are not stored and counted.
   */
  append(events: readonly IntakeEvent[], now = Date.now(), admit?: AdmitFn): AppendResult {
    return this.appendTx(events, now, admit);
  }

  /** A tenant's events after `afterSeq`, in sequence order. */
  readAfter(tenantId: string, afterSeq: number, limit: number): SpooledEvent[] {
    return this.selectAfter.all(tenantId, afterSeq, limit).map((r) => ({ seq: r.seq, eventId: r.event_id, createdAt: r.created_at, json: r.event }));
  }

  /** How many of a tenant's events follow `afterSeq`, their stored bytes and the oldest commit time. */
  pendingAfter(tenantId: string, afterSeq: number): PendingStats {
    const r = this.statsAfter.get(tenantId, afterSeq);
    return { count: r?.n ?? 0, bytes: r?.bytes ?? 0, oldestCreatedAt: r?.oldest ?? undefined };
  }

  /** How many of a tenant's events have afterSeq < seq <= uptoSeq, and their stored bytes. */
  between(tenantId: string, afterSeq: number, uptoSeq: number): { count: number; bytes: number } {
    const r = this.rangeStats.get(tenantId, afterSeq, uptoSeq);
    return { count: r?.n ?? 0, bytes: r?.bytes ?? 0 };
  }

  /**
   * Makes the cursors of a tenant match its current sinks, in one transaction: a sink seen
   * before keeps its position; a new sink starts at the least advanced position the tenant
   * had (so it receives every event some sink has not delivered yet; 0 for a new tenant); the
   * cursors of sinks no longer configured are dropped. Returns each sink's position.
   */
  syncCursors(tenantId: string, sinkIds: readonly string[]): Map<string, number> {
    return this.cursorsTx(tenantId, sinkIds);
  }

  /** The least advanced cursor of a tenant (0 when it has none). */
  leastCursor(tenantId: string): number {
    return this.leastOf.get(tenantId)?.seq ?? 0;
  }

  /**
   * Moves a sink's cursor forward (call inside `transaction` with the dead letters it goes with).
   * Never backwards, and never re-creates a cursor dropped because the sink left the tenant's
   * config: a pipeline still finishing after a reconfiguration cannot undo the new one's work.
   */
  setCursor(tenantId: string, sinkId: string, seq: number): void {
    this.advanceCursor.run(seq, tenantId, sinkId, seq);
  }

  /** A sink's cursor as stored, or undefined when it has none. */
  cursorOf(tenantId: string, sinkId: string): number | undefined {
    return this.cursorRow.get(tenantId, sinkId)?.seq;
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Every tenant with events in the spool. */
  tenantIds(): string[] {
    return this.db.prepare<[], { tenant_id: string }>('SELECT DISTINCT tenant_id FROM events').all().map((r) => r.tenant_id);
  }

  /** Each tenant with cursors and the position every one of its sinks has passed. */
  purgeCandidates(): { tenantId: string; upTo: number }[] {
    return this.db
      .prepare<[], { tenant_id: string; up_to: number }>('SELECT tenant_id, MIN(seq) AS up_to FROM cursors GROUP BY tenant_id')
      .all()
      .map((r) => ({ tenantId: r.tenant_id, upTo: r.up_to }));
  }

  /**
   * Deletes up to `limit` of a tenant's oldest events with seq <= upTo committed before `before`
   * (ms), through the (tenant, seq) index: it reads at most `limit` rows and stops at the first
   * one younger than the cut (commit times grow with seq). Returns how many went.
   */
  purgeTenant(tenantId: string, upTo: number, before: number, limit: number): number {
    let last: number | undefined;
    for (const r of this.oldestUpTo.all(tenantId, upTo, limit)) {
      if (r.created_at >= before) break;
      last = r.seq;
    }
    return last === undefined ? 0 : this.deleteUpTo.run(tenantId, last).changes;
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** The raw handle, for the dead-letter store, tests and diagnostics. */
  get handle(): Database.Database {
    return this.db;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The stored text: the delivered line without logdriverRayId (see @tsp/events stored-event). */
function eventJson(e: IntakeEvent): string {
  const record: SecurityEventRecord = {
    category: e.category,
    tenantId: e.tenantId,
    timestampMillis: e.timestampMillis,
    iclFields: e.iclFields,
    customFields: e.customFields,
  };
  if (e.kms !== undefined) record.kms = e.kms;
  return storedEventText(record);
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`spool schema version ${current} is newer than this logdriver knows (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
