import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AdminEventRecord, RepositoryError } from './repository';
import type { AdminEventDraft } from './repository-events';
import { checkAdminEventIds, checkAdminEventLimit } from './repository-validation';
import { migrate } from './sqlite-migrations';
import { AdminEventRow, TenantRow, toAdminEventRecord } from './sqlite-rows';

export const now = (): string => new Date().toISOString();

/**
 * The connection of the SQLite broker store and what every part of the repository shares:
 * cached statements, write transactions with the sequence bump, and the admin event outbox.
 *
 * Write transactions are IMMEDIATE: they take the write lock before reading, so a second
 * connection (another process on the same file) waits (busy_timeout) instead of failing when
 * its read-then-write races ours.
 */
export class SqliteStore {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating the directory when missing) and migrates `file`; throws after closing on failure. */
  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  stmt<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s as unknown as Database.Statement<P, R>;
  }

  /** Runs `fn` in one IMMEDIATE transaction; a throw rolls everything back. No sequence bump by itself. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs `fn` in one write transaction that also bumps the sequence. */
  write<T>(fn: () => T): T {
    return this.transaction(() => {
      const out = fn();
      this.bumpSequence();
      return out;
    });
  }

  /** Precondition: inside a transaction. */
  bumpSequence(): void {
    this.stmt("UPDATE counters SET value = value + 1 WHERE name = 'sequence'").run();
  }

  sequence(): number {
    return this.stmt<[], { value: number }>("SELECT value FROM counters WHERE name = 'sequence'").get()!.value;
  }

  tenantRow(id: string): TenantRow | undefined {
    return this.stmt<[string], TenantRow>('SELECT * FROM tenants WHERE id = ?').get(id);
  }

  requireTenant(id: string, field: string): TenantRow {
    const row = typeof id === 'string' ? this.tenantRow(id) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such tenant', field);
    return row;
  }

  /** Appends an ADMIN_* event to the outbox. Precondition: inside the transaction of the change it reports. */
  emit(e: AdminEventDraft): void {
    this.stmt('INSERT INTO admin_events (tenant_id, event, actor_kind, actor_id, details, at) VALUES (?, ?, ?, ?, ?, ?)').run(
      e.tenantId, e.event, e.actor.kind, e.actor.id, JSON.stringify(e.details), e.at,
    );
  }

  pendingAdminEvents(limit: number): AdminEventRecord[] {
    checkAdminEventLimit(limit);
    return this.stmt<[number], AdminEventRow>('SELECT * FROM admin_events ORDER BY id LIMIT ?').all(limit).map(toAdminEventRecord);
  }

  /** Unknown (already acknowledged) ids are ignored. Not a document change: no sequence bump. */
  ackAdminEvents(ids: readonly number[]): void {
    checkAdminEventIds(ids);
    if (ids.length === 0) return;
    this.stmt('DELETE FROM admin_events WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
