import type { PoolClient } from 'pg';

/**
 * Schema of the broker's PostgreSQL store, applied in order; `schema_migrations` holds one row
 * per applied version. A migration is never edited once released: add a new one.
 *
 * - counters: 'sequence' (the document sequence, 1 for a new store; every write transaction
 *   bumps it FIRST, and that row lock serialises the writers of every broker on the database)
 *   and 'kms_config_id' (the last KMS config id the store assigned itself).
 * - kms_config_ids: every KMS config id ever handed out, assigned or explicit. Ids go into EDEKs
 *   that may outlive their config, so an id is never handed out twice, even after a delete.
 * - meta: 'key_check', a known value sealed under the master key, so a wrong key fails at open.
 * - Secret columns (kms_configs.credentials, logging_configs.sink_credentials,
 *   tenant_secrets.encrypted_secret) hold SecretBox stored forms bound to their row and field.
 * - kms_configs_one_primary: the database itself refuses a second primary per tenant;
 *   tenant_secrets_one_current: a second Current secret of one (tenant, path, type).
 * - Everything of a tenant goes with it (ON DELETE CASCADE), except its admin events: the
 *   outbox (admin_events, no foreign key) keeps them until they are delivered. Their ids come
 *   from an identity column; as every write holds the 'sequence' row lock, they are assigned
 *   and committed in the same order, so the outbox is read in commit order.
 * - tenant_admins: lower-cased unique email; password_hash set exactly when active; the
 *   invitation token hash (unique) and expiry only while invited.
 * - JSON the caller wrote (keyPath, sinks, rate limit, batch) is `json` (kept as written);
 *   tags are `jsonb` (queried with ? and ?|).
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
   INSERT INTO counters (name, value) VALUES ('sequence', 1), ('kms_config_id', 0);
   CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
   CREATE TABLE tenants (
     id text PRIMARY KEY,
     name text NOT NULL,
     tags jsonb NOT NULL,
     archived boolean NOT NULL,
     leasing_required boolean NOT NULL,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE TABLE kms_config_ids (id integer PRIMARY KEY CHECK (id BETWEEN 1 AND 2147483647));
   CREATE TABLE kms_configs (
     id integer PRIMARY KEY REFERENCES kms_config_ids (id),
     tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
     type text NOT NULL CHECK (type IN ('local', 'aws', 'gcp', 'azure')),
     key_path json NOT NULL,
     credentials text NOT NULL,
     has_credentials boolean NOT NULL,
     endpoint text,
     active boolean NOT NULL,
     is_primary boolean NOT NULL CHECK (NOT is_primary OR active),
     leasing_allowed boolean NOT NULL,
     leasing_lifetime_seconds integer,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE INDEX kms_configs_tenant ON kms_configs (tenant_id, id);
   CREATE UNIQUE INDEX kms_configs_one_primary ON kms_configs (tenant_id) WHERE is_primary;
   CREATE TABLE logging_configs (
     tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
     sinks json NOT NULL,
     sink_credentials text,
     rate_limit json,
     batch json,
     updated_at timestamptz NOT NULL
   );
   CREATE TABLE service_accounts (
     id text PRIMARY KEY,
     name text NOT NULL,
     encryption_public_key text NOT NULL,
     signing_public_key text NOT NULL,
     tenant_tags jsonb NOT NULL,
     revoked_at timestamptz,
     created_at timestamptz NOT NULL
   );
   CREATE SEQUENCE tenant_secrets_id_seq AS bigint MINVALUE 1 MAXVALUE 4294967295 NO CYCLE;
   CREATE TABLE tenant_secrets (
     id bigint PRIMARY KEY CHECK (id BETWEEN 1 AND 4294967295),
     tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
     secret_path text NOT NULL,
     secret_type text NOT NULL CHECK (secret_type IN ('deterministic', 'search', 'vector')),
     status text NOT NULL CHECK (status IN ('current', 'inRotation', 'archived')),
     encrypted_secret text NOT NULL,
     created_at timestamptz NOT NULL
   );
   CREATE INDEX tenant_secrets_tenant ON tenant_secrets (tenant_id, id);
   CREATE UNIQUE INDEX tenant_secrets_one_current ON tenant_secrets (tenant_id, secret_path, secret_type) WHERE status = 'current';
   CREATE TABLE tenant_admins (
     id text PRIMARY KEY,
     tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
     email text NOT NULL UNIQUE CHECK (email = lower(email)),
     status text NOT NULL CHECK (status IN ('invited', 'active')),
     password_hash text,
     invite_token_hash text UNIQUE,
     invite_expires_at timestamptz,
     created_at timestamptz NOT NULL,
     last_login_at timestamptz,
     CHECK ((status = 'active') = (password_hash IS NOT NULL)),
     CHECK ((status = 'invited') = (invite_token_hash IS NOT NULL AND invite_expires_at IS NOT NULL))
   );
   CREATE INDEX tenant_admins_tenant ON tenant_admins (tenant_id, created_at);
   CREATE TABLE admin_events (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     tenant_id text NOT NULL,
     event text NOT NULL CHECK (event IN ('ADMIN_ADD', 'ADMIN_REMOVE', 'ADMIN_CHANGE_SETTING', 'ADMIN_CHANGE_PERMISSIONS')),
     actor_kind text NOT NULL,
     actor_id text NOT NULL,
     details jsonb NOT NULL,
     at timestamptz NOT NULL
   );`,
];

/** The advisory lock key of the migrations of one schema (two brokers opening at once take turns). */
const LOCK_NAMESPACE = 'tsp-broker-store-migrations';

/** Precondition for a schema name: a plain lower-case identifier (it is spliced into SQL, quoted). */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('the broker store schema must be a lower-case identifier of at most 63 characters');
  return schema;
}

/**
 * Brings the schema up to date in ONE transaction holding a transaction-level advisory lock
 * (keyed by the schema), then runs `afterwards` in the same transaction (the master-key check,
 * so two first opens do not both write it). Creates the schema when it does not exist.
 * Throws when the store is newer than this broker.
 */
export async function migrate(client: PoolClient, schema: string, afterwards: (client: PoolClient) => Promise<void>): Promise<void> {
  checkSchemaName(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${LOCK_NAMESPACE}:${schema}`]);
    // CREATE SCHEMA needs the CREATE privilege on the database even with IF NOT EXISTS: only
    // when the schema is missing (a broker may run in a schema made for it by the DBA).
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA "${checkSchemaName(schema)}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM "${schema}".schema_migrations`);
    const current = rows[0]?.v ?? 0;
    if (current > POSTGRES_MIGRATIONS.length) {
      throw new Error(`broker store schema version ${current} is newer than this broker knows (${POSTGRES_MIGRATIONS.length})`);
    }
    for (let v = current; v < POSTGRES_MIGRATIONS.length; v++) {
      await client.query(POSTGRES_MIGRATIONS[v]);
      await client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [v + 1]);
    }
    await afterwards(client);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
