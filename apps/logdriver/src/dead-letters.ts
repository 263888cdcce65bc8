import type Database from 'better-sqlite3';

/** One event a sink refused for good, with why. */
export interface DeadLetter {
  id: number;
  tenantId: string;
  sinkId: string;
  sinkType: string;
  seq: number;
  eventId: string;
  /** The stored SecurityEventRecord JSON. */
  event: string;
  reason: string;
  failedAt: number;
  attempts: number;
  /** Waiting to be sent again (set by `redrive`). */
  redrive: boolean;
}

export interface NewDeadLetter {
  seq: number;
  eventId: string;
  event: string;
  reason: string;
}

export interface DeadLetterFilter {
  tenantId?: string;
  sinkId?: string;
}

export interface DeadLetterCount {
  tenantId: string;
  sinkId: string;
  sinkType: string;
  count: number;
  redrive: number;
}

interface Row {
  id: number;
  tenant_id: string;
  sink_id: string;
  sink_type: string;
  seq: number;
  event_id: string;
  event: string;
  reason: string;
  failed_at: number;
  attempts: number;
  redrive: number;
}

function toLetter(r: Row): DeadLetter {
  return {
    id: r.id, tenantId: r.tenant_id, sinkId: r.sink_id, sinkType: r.sink_type, seq: r.seq, eventId: r.event_id,
    event: r.event, reason: r.reason, failedAt: r.failed_at, attempts: r.attempts, redrive: r.redrive === 1,
  };
}

/** `WHERE` over the optional filter, with its parameters. */
function where(f: DeadLetterFilter, extra = ''): [string, string[]] {
  const parts: string[] = [];
  const params: string[] = [];
  if (f.tenantId !== undefined) {
    parts.push('tenant_id = ?');
    params.push(f.tenantId);
  }
  if (f.sinkId !== undefined) {
    parts.push('sink_id = ?');
    params.push(f.sinkId);
  }
  if (extra !== '') parts.push(extra);
  return [parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params];
}

/**
 * The dead-letter store, in the spool's database (so a dead letter and the cursor move past its
 * event commit together). Dead letters stay until re-driven and delivered, or dropped by an
 * operator (`npm run dead-letters`). A re-drive marks letters; the tenant's pipeline for that
 * sink sends marked letters again: delivered ones are deleted, refused ones unmarked with the
 * new reason and one more attempt.
 */
export class DeadLetterStore {
  private readonly insert: Database.Statement<[string, string, string, number, string, string, string, number]>;
  private readonly marked: Database.Statement<[string, string, number], Row>;
  private readonly remove: Database.Statement<[number]>;
  private readonly failAgain: Database.Statement<[string, number, number]>;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO dead_letters (tenant_id, sink_id, sink_type, seq, event_id, event, reason, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.marked = db.prepare('SELECT * FROM dead_letters WHERE tenant_id = ? AND sink_id = ? AND redrive = 1 ORDER BY id LIMIT ?');
    this.remove = db.prepare('DELETE FROM dead_letters WHERE id = ?');
    this.failAgain = db.prepare('UPDATE dead_letters SET redrive = 0, reason = ?, failed_at = ?, attempts = attempts + 1 WHERE id = ?');
  }

  /** Stores letters (call inside the spool transaction that moves the cursor past them). */
  add(tenantId: string, sinkId: string, sinkType: string, letters: readonly NewDeadLetter[], now = Date.now()): void {
    for (const l of letters) this.insert.run(tenantId, sinkId, sinkType, l.seq, l.eventId, l.event, l.reason, now);
  }

  list(filter: DeadLetterFilter = {}, limit = 100): DeadLetter[] {
    const [w, params] = where(filter);
    return this.db.prepare<unknown[], Row>(`SELECT * FROM dead_letters ${w} ORDER BY id LIMIT ?`).all(...params, limit).map(toLetter);
  }

  get(id: number): DeadLetter | undefined {
    const r = this.db.prepare<[number], Row>('SELECT * FROM dead_letters WHERE id = ?').get(id);
    return r === undefined ? undefined : toLetter(r);
  }

  counts(filter: DeadLetterFilter = {}): DeadLetterCount[] {
    const [w, params] = where(filter);
    return this.db
      .prepare<unknown[], { tenant_id: string; sink_id: string; sink_type: string; n: number; r: number }>(
        `SELECT tenant_id, sink_id, sink_type, COUNT(*) AS n, SUM(redrive) AS r FROM dead_letters ${w}
         GROUP BY tenant_id, sink_id, sink_type ORDER BY tenant_id, sink_id`,
      )
      .all(...params)
      .map((r) => ({ tenantId: r.tenant_id, sinkId: r.sink_id, sinkType: r.sink_type, count: r.n, redrive: r.r }));
  }

  total(): number {
    return (this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters').get()?.n ?? 0);
  }

  /** Marks letters for re-drive; returns how many. */
  markRedrive(filter: DeadLetterFilter = {}): number {
    const [w, params] = where(filter, 'redrive = 0');
    return this.db.prepare(`UPDATE dead_letters SET redrive = 1 ${w}`).run(...params).changes;
  }

  /** Deletes letters for good; returns how many. */
  drop(filter: DeadLetterFilter = {}): number {
    const [w, params] = where(filter);
    return this.db.prepare(`DELETE FROM dead_letters ${w}`).run(...params).changes;
  }

  /** (tenant, sink) pairs with letters marked for re-drive. */
  redrivePending(): { tenantId: string; sinkId: string }[] {
    return this.db
      .prepare<[], { tenant_id: string; sink_id: string }>('SELECT DISTINCT tenant_id, sink_id FROM dead_letters WHERE redrive = 1')
      .all()
      .map((r) => ({ tenantId: r.tenant_id, sinkId: r.sink_id }));
  }

  /** Letters of one sink marked for re-drive, oldest first. */
  takeMarked(tenantId: string, sinkId: string, limit: number): DeadLetter[] {
    return this.marked.all(tenantId, sinkId, limit).map(toLetter);
  }

  /** After a re-drive send: delivered letters go, refused ones wait for the operator again. */
  settle(delivered: readonly number[], refused: readonly { id: number; reason: string }[], now = Date.now()): void {
    this.db.transaction(() => {
      for (const id of delivered) this.remove.run(id);
      for (const r of refused) this.failAgain.run(r.reason, now, r.id);
    })();
  }
}
