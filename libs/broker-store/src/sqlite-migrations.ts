import type Database from 'better-sqlite3';

/**
 * Schema of the broker's SQLite store, applied in order; `PRAGMA user_version` holds how many
 * ran. A migration is never edited once released: add a new one.
 *
 * - counters: 'sequence' (the document sequence, 1 for a new database, bumped by every write)
 *   and 'kms_config_id' (the last KMS config id handed out: ids are never reused, even after a
 *   delete, because they go into EDEKs that may outlive the config).
 * - meta: 'key_check', a known value sealed under the master key, so a wrong key fails at open.
 * - Secret columns (kms_configs.credentials, logging_configs.sink_credentials,
 *   tenant_secrets.encrypted_secret) hold SecretBox stored forms bound to their row and field.
 * - kms_configs_one_primary: the database itself refuses a second primary per tenant.
 * - Everything of a tenant goes with it (ON DELETE CASCADE; foreign_keys is on).
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO counters (name, value) VALUES ('sequence', 1), ('kms_config_id', 0);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE tenants (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     tags TEXT NOT NULL,
     archived INTEGER NOT NULL,
     leasing_required INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE kms_configs (
     id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 2147483647),
     tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
     type TEXT NOT NULL CHECK (type IN ('local', 'aws', 'gcp', 'azure')),
     key_path TEXT NOT NULL,
     credentials TEXT NOT NULL,
     has_credentials INTEGER NOT NULL,
     endpoint TEXT,
     active INTEGER NOT NULL,
     is_primary INTEGER NOT NULL CHECK (is_primary = 0 OR active = 1),
     leasing_allowed INTEGER NOT NULL,
     leasing_lifetime_seconds INTEGER,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX kms_configs_tenant ON kms_configs (tenant_id, id);
   CREATE UNIQUE INDEX kms_configs_one_primary ON kms_configs (tenant_id) WHERE is_primary = 1;
   CREATE TABLE logging_configs (
     tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
     sinks TEXT NOT NULL,
     sink_credentials TEXT,
     rate_limit TEXT,
     batch TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE service_accounts (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     encryption_public_key TEXT NOT NULL,
     signing_public_key TEXT NOT NULL,
     tenant_tags TEXT NOT NULL,
     revoked_at TEXT,
     created_at TEXT NOT NULL
   );
   CREATE TABLE tenant_secrets (
     id INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id BETWEEN 1 AND 4294967295),
     tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
     secret_path TEXT NOT NULL,
     secret_type TEXT NOT NULL CHECK (secret_type IN ('deterministic', 'search', 'vector')),
     status TEXT NOT NULL CHECK (status IN ('current', 'inRotation', 'archived')),
     encrypted_secret TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX tenant_secrets_tenant ON tenant_secrets (tenant_id, id);`,
];

/** Brings the schema up to date, one transaction per migration. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`broker store schema version ${current} is newer than this broker knows (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
