import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SecurityEventRecord, WireEvent } from '@tsp/events';

/** An event as the intake accepted it: the proxy's record plus its unique id (the contract's WireEvent). */
export type IntakeEvent = WireEvent;

/** An undelivered event read back from the spool, in sequence order. */
export interface SpooledEvent {
  seq: number;
  eventId: string;
  tenantId: string;
  /** Milliseconds since the epoch when the intake committed it. */
  createdAt: number;
  event: SecurityEventRecord;
}

export interface AppendResult {
  accepted: number;
  duplicates: number;
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
];

interface Row {
  seq: number;
  event_id: string;
  tenant_id: string;
  event: string;
  created_at: number;
}

/**
 * The disk spool: every accepted event is committed here (WAL, synchronous = FULL, so an
 * acknowledged batch survives a crash or power loss) before the intake answers, and stays until
 * the delivery loop marked it delivered and the retention has passed.
 *
 * better-sqlite3 is synchronous: each method runs to completion on the event loop, so the intake
 * and the delivery loop never interleave inside one transaction.
 */
export class Spool {
  /** Random id of this spool (see migration 2). */
  readonly spoolId: string;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly selectPending: Database.Statement<[number], Row>;
  private readonly markOne: Database.Statement<[number, number]>;
  private readonly purgeSome: Database.Statement<[number, number]>;
  private readonly countPending: Database.Statement<[], { n: number }>;
  private readonly oldestPending: Database.Statement<[], { created_at: number | null }>;
  private readonly window: Database.Statement<[number], { n: number; oldest: number | null }>;
  private readonly appendTx: (events: readonly IntakeEvent[], now: number) => AppendResult;
  private readonly markTx: (seqs: readonly number[], now: number) => void;

  /** Opens (creating if needed) `<dir>/spool.db` and brings its schema up to date. */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(path.join(dir, SPOOL_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.spoolId = (this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'spool_id'").get() as { value: string }).value;
    this.insert = this.db.prepare(
      // ON CONFLICT(event_id), not INSERT OR IGNORE: OR IGNORE would also skip rows that break
      // NOT NULL, silently dropping a bad event instead of failing the batch.
      'INSERT INTO events (event_id, tenant_id, event, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING',
    );
    this.selectPending = this.db.prepare<[number], Row>(
      'SELECT seq, event_id, tenant_id, event, created_at FROM events WHERE delivered_at IS NULL ORDER BY seq LIMIT ?',
    );
    this.markOne = this.db.prepare('UPDATE events SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL');
    this.purgeSome = this.db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE delivered_at IS NOT NULL AND delivered_at < ? LIMIT ?)',
    );
    this.countPending = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events WHERE delivered_at IS NULL');
    this.oldestPending = this.db.prepare<[], { created_at: number | null }>(
      'SELECT MIN(created_at) AS created_at FROM events WHERE delivered_at IS NULL',
    );
    this.window = this.db.prepare<[number], { n: number; oldest: number | null }>(
      'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM (SELECT created_at FROM events WHERE delivered_at IS NULL ORDER BY seq LIMIT ?)',
    );
    this.appendTx = this.db.transaction((events: readonly IntakeEvent[], now: number): AppendResult => {
      let accepted = 0;
      for (const e of events) {
        accepted += this.insert.run(e.eventId, e.tenantId, eventJson(e), now).changes;
      }
      return { accepted, duplicates: events.length - accepted };
    });
    this.markTx = this.db.transaction((seqs: readonly number[], now: number): void => {
      for (const s of seqs) this.markOne.run(now, s);
    });
  }

  /**
   * Commits a whole batch in ONE transaction: all of it is durable when this returns, or (when
   * it throws) none of it is stored. Events whose eventId is already spooled count as duplicates.
   */
  append(events: readonly IntakeEvent[], now = Date.now()): AppendResult {
    return this.appendTx(events, now);
  }

  /** The oldest undelivered events, in sequence order. */
  pending(limit: number): SpooledEvent[] {
    return this.selectPending.all(limit).map((r) => ({
      seq: r.seq,
      eventId: r.event_id,
      tenantId: r.tenant_id,
      createdAt: r.created_at,
      event: JSON.parse(r.event) as SecurityEventRecord,
    }));
  }

  /** How many events (up to limit) wait, and when the oldest of them was committed (ms). */
  pendingWindow(limit: number): { count: number; oldestCreatedAt: number } {
    const r = this.window.get(limit);
    return { count: r?.n ?? 0, oldestCreatedAt: r?.oldest ?? 0 };
  }

  /** Marks events delivered in one transaction. */
  markDelivered(seqs: readonly number[], now = Date.now()): void {
    this.markTx(seqs, now);
  }

  /** Deletes up to `limit` rows delivered before `before` (ms); returns how many went. */
  purgeDelivered(before: number, limit: number): number {
    return this.purgeSome.run(before, limit).changes;
  }

  pendingCount(): number {
    return this.countPending.get()?.n ?? 0;
  }

  /** When the oldest undelivered event was accepted (ms), or undefined when none waits. */
  oldestPendingAt(): number | undefined {
    return this.oldestPending.get()?.created_at ?? undefined;
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** The raw handle, for tests and diagnostics only. */
  get handle(): Database.Database {
    return this.db;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The stored JSON: the SecurityEventRecord fields (eventId has its own column). */
function eventJson(e: IntakeEvent): string {
  const record: SecurityEventRecord = {
    category: e.category,
    tenantId: e.tenantId,
    timestampMillis: e.timestampMillis,
    iclFields: e.iclFields,
    customFields: e.customFields,
  };
  if (e.kms !== undefined) record.kms = e.kms;
  return JSON.stringify(record);
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
