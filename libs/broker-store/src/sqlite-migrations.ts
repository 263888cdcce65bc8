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
 *
 * Migration 2 (issue 5: admin events, explicit KMS config ids, tenant admins, idempotent secrets):
 * - used_kms_config_ids: every KMS config id ever handed out (explicit or assigned; ids of
 *   configs that existed before are copied in). An explicit id is a conflict when it is at or
 *   below the 'kms_config_id' counter or listed here; the assignment skips listed ids.
 * - admin_events: the outbox of ADMIN_* events, written in the transaction of the change.
 *   AUTOINCREMENT: ids only grow, even after delivered rows are deleted. No foreign key: a
 *   deleted tenant's events stay until delivered.
 * - tenant_admins: lower-cased unique email; password_hash set exactly when active; the
 *   invitation token hash (unique) and expiry only while invited.
 * - tenant_secrets_one_current: at most one Current secret per (tenant, path, type), enforced
 *   by the database. Stores that already hold several keep the newest Current and set the older
 *   ones to inRotation (still served, as Current ones were).
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
  `CREATE TABLE used_kms_config_ids (id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 2147483647));
   INSERT INTO used_kms_config_ids (id) SELECT id FROM kms_configs;
   CREATE TABLE admin_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     tenant_id TEXT NOT NULL,
     event TEXT NOT NULL CHECK (event IN ('ADMIN_ADD', 'ADMIN_REMOVE', 'ADMIN_CHANGE_SETTING', 'ADMIN_CHANGE_PERMISSIONS')),
     actor_kind TEXT NOT NULL,
     actor_id TEXT NOT NULL,
     details TEXT NOT NULL,
     at TEXT NOT NULL
   );
   CREATE TABLE tenant_admins (
     id TEXT PRIMARY KEY,
     tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
     email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
     status TEXT NOT NULL CHECK (status IN ('invited', 'active')),
     password_hash TEXT,
     invite_token_hash TEXT UNIQUE,
     invite_expires_at TEXT,
     created_at TEXT NOT NULL,
     last_login_at TEXT,
     CHECK ((status = 'active') = (password_hash IS NOT NULL)),
     CHECK ((status = 'invited') = (invite_token_hash IS NOT NULL AND invite_expires_at IS NOT NULL))
   );
   CREATE INDEX tenant_admins_tenant ON tenant_admins (tenant_id, created_at);
   UPDATE tenant_secrets SET status = 'inRotation'
     WHERE status = 'current' AND EXISTS (
       SELECT 1 FROM tenant_secrets AS newer WHERE newer.status = 'current' AND newer.tenant_id = tenant_secrets.tenant_id
         AND newer.secret_path = tenant_secrets.secret_path AND newer.secret_type = tenant_secrets.secret_type AND newer.id > tenant_secrets.id);
   CREATE UNIQUE INDEX tenant_secrets_one_current ON tenant_secrets (tenant_id, secret_path, secret_type) WHERE status = 'current';`,
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
