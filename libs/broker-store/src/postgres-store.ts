import type { Pool, PoolClient } from 'pg';
import { AdminEventRecord, RepositoryError } from './repository';
import type { AdminEventDraft } from './repository-events';
import { checkAdminEventIds, checkAdminEventLimit } from './repository-validation';
import { PgAdminEventRow, PgTenantRow, pgToAdminEvent } from './postgres-rows';

/** Something that runs a query: the pool, or the client of a transaction. */
export type Queryable = Pick<PoolClient, 'query'>;

/** A write transaction: its client, its time, and `unchanged()` to roll back instead of committing. */
export interface WriteTx {
  q: PoolClient;
  /** ISO time of the change (every row and event of the write gets the same). */
  at: string;
  /** Nothing was changed after all: roll back (the sequence bump included) instead of committing. */
  unchanged(): void;
}

const UNIQUE_VIOLATION = '23505';

/** Whether `err` is PostgreSQL's unique violation of `constraint`. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === UNIQUE_VIOLATION && e.constraint === constraint;
}

/**
 * The pool of the PostgreSQL broker store and what every part of the repository shares: write
 * transactions with the sequence bump, single-row reads, the tenant check and the admin event
 * outbox.
 *
 * A write transaction's FIRST statement bumps the sequence: the row lock it takes serialises
 * the writers of every broker on the database until commit (READ COMMITTED: each later
 * statement sees what the writers before committed). So preconditions are checked with plain
 * reads, and outbox ids (an identity column) are assigned in commit order.
 */
export class PgStore {
  constructor(readonly pool: Pool) {}

  /** Runs `fn` in one write transaction that first bumps the sequence (and so takes the writers' lock). */
  async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    let keep = true;
    return this.transaction(
      'BEGIN',
      async (q) => {
        await q.query("UPDATE counters SET value = value + 1 WHERE name = 'sequence'");
        return fn({ q, at: new Date().toISOString(), unchanged: () => void (keep = false) });
      },
      () => keep,
    );
  }

  /** Runs `fn` in one read-only REPEATABLE READ transaction: every read sees the same state. */
  snapshot<T>(fn: (q: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  /** `begin`, `fn`, then COMMIT (ROLLBACK when `commit()` says no, or on any error). */
  private async transaction<T>(begin: string, fn: (q: PoolClient) => Promise<T>, commit: () => boolean = () => true): Promise<T> {
    const q = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await q.query(begin);
      try {
        const out = await fn(q);
        await q.query(commit() ? 'COMMIT' : 'ROLLBACK');
        return out;
      } catch (err) {
        await q.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      }
    } finally {
      // A client whose rollback failed is in an unknown state: the pool discards it.
      q.release(broken);
    }
  }

  /**
   * The rows of a query. PostgreSQL text cannot hold NUL, so no stored value equals a string
   * parameter with one: such a query matches nothing and is not sent (PostgreSQL would fail it
   * with an encoding error, a 500 instead of a not-found). Precondition: values written are
   * validated (no control characters), so this only ever short-cuts a lookup.
   */
  async many<R extends object>(sql: string, params: unknown[] = [], q: Queryable = this.pool): Promise<R[]> {
    if (params.some((p) => typeof p === 'string' && p.includes('\u0000'))) return [];
    return (await q.query<R>(sql, params)).rows;
  }

  /** The first row of a query (see `many`), or undefined. */
  async one<R extends object>(sql: string, params: unknown[] = [], q: Queryable = this.pool): Promise<R | undefined> {
    return (await this.many<R>(sql, params, q))[0];
  }

  async sequence(): Promise<number> {
    return Number((await this.one<{ value: string }>("SELECT value FROM counters WHERE name = 'sequence'"))!.value);
  }

  async requireTenant(q: Queryable, id: string, field: string): Promise<PgTenantRow> {
    const row = typeof id === 'string' ? await this.one<PgTenantRow>('SELECT * FROM tenants WHERE id = $1', [id], q) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such tenant', field);
    return row;
  }

  /** Appends an ADMIN_* event to the outbox. Precondition: `q` is the transaction of the change it reports. */
  async emit(q: PoolClient, e: AdminEventDraft): Promise<void> {
    await q.query('INSERT INTO admin_events (tenant_id, event, actor_kind, actor_id, details, at) VALUES ($1, $2, $3, $4, $5, $6)', [
      e.tenantId, e.event, e.actor.kind, e.actor.id, JSON.stringify(e.details), e.at,
    ]);
  }

  async pendingAdminEvents(limit: number): Promise<AdminEventRecord[]> {
    checkAdminEventLimit(limit);
    return (await this.pool.query<PgAdminEventRow>('SELECT * FROM admin_events ORDER BY id LIMIT $1', [limit])).rows.map(pgToAdminEvent);
  }

  /** Unknown (already acknowledged) ids are ignored. Delivery bookkeeping, not a document change: no sequence bump. */
  async ackAdminEvents(ids: readonly number[]): Promise<void> {
    checkAdminEventIds(ids);
    if (ids.length > 0) await this.pool.query('DELETE FROM admin_events WHERE id = ANY($1::bigint[])', [ids]);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
