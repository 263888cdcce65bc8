import type { PoolClient } from 'pg';
import type { LoggingConfig, LoggingSinkConfig } from '@tsp/config-crypto';
import { RepositoryError, TenantForDocument } from './repository';
import { SecretBox } from './secret-box';
import {
  PgKmsConfigRow,
  PgLoggingConfigRow,
  PgServiceAccountRow,
  PgStoredSink,
  PgTenantRow,
  PgTenantSecretRow,
  pgToKmsConfigView,
  pgToTenant,
  pgToTenantSecretView,
} from './postgres-rows';

/** Logging configs at rest in the PostgreSQL store, and the document read that opens every secret. */

/** The sinks as stored: no credentials, only whether a sink has some. */
export function storedSinks(config: LoggingConfig): PgStoredSink[] {
  return config.sinks.map((s) => {
    const stored: PgStoredSink = { id: s.id, type: s.type, hasCredentials: s.credentials !== undefined && Object.keys(s.credentials).length > 0 };
    if (s.settings !== undefined) stored.settings = s.settings;
    return stored;
  });
}

const loggingAt = (tenantId: string): { table: string; rowId: string; field: string } => ({ table: 'logging_configs', rowId: tenantId, field: 'sink_credentials' });

/** Every sink's credentials, sealed as one value bound to the tenant's row; null when no sink has any. */
export function sealLoggingCredentials(box: SecretBox, tenantId: string, config: LoggingConfig): string | null {
  const credentials: Record<string, Record<string, unknown>> = {};
  for (const s of config.sinks) if (s.credentials !== undefined) credentials[s.id] = s.credentials;
  return Object.keys(credentials).length === 0 ? null : box.sealJson(credentials, loggingAt(tenantId));
}

function loggingForDocument(box: SecretBox, row: PgLoggingConfigRow): LoggingConfig {
  const credentials = row.sink_credentials === null ? {} : box.openJson<Record<string, Record<string, unknown>>>(row.sink_credentials, loggingAt(row.tenant_id));
  const sinks = row.sinks.map((s) => {
    const sink: LoggingSinkConfig = { id: s.id, type: s.type };
    if (s.settings !== undefined) sink.settings = s.settings;
    if (credentials[s.id] !== undefined) sink.credentials = credentials[s.id];
    return sink;
  });
  const config: LoggingConfig = { sinks };
  if (row.rate_limit !== null) config.rateLimit = row.rate_limit;
  if (row.batch !== null) config.batch = row.batch;
  return config;
}

function groupBy<R extends { tenant_id: string }>(rows: R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const list = out.get(r.tenant_id);
    if (list === undefined) out.set(r.tenant_id, [r]);
    else list.push(r);
  }
  return out;
}

/**
 * The tenants a service account serves (not archived; any of its tags, or every tenant when it
 * has none), with every secret opened (tenant secrets of every status, like the SQLite store). Precondition: `q` is in a read-only REPEATABLE READ
 * transaction, so the four reads see one state. Four queries, whatever the number of tenants.
 */
export async function readDocuments(q: PoolClient, box: SecretBox, serviceAccountId: string): Promise<TenantForDocument[]> {
  // (PostgreSQL text cannot hold NUL: no account has such an id.)
  const known = typeof serviceAccountId === 'string' && !serviceAccountId.includes('\u0000');
  const sa = known ? (await q.query<PgServiceAccountRow>('SELECT * FROM service_accounts WHERE id = $1', [serviceAccountId])).rows[0] : undefined;
  if (sa === undefined) throw new RepositoryError('not-found', 'no such service account', 'serviceAccountId');
  if (sa.revoked_at !== null) return [];
  const tenants = (
    await q.query<PgTenantRow>("SELECT * FROM tenants WHERE NOT archived AND (cardinality($1::text[]) = 0 OR tags ?| $1::text[]) ORDER BY id COLLATE \"C\"", [sa.tenant_tags])
  ).rows.map(pgToTenant);
  if (tenants.length === 0) return [];
  const ids = tenants.map((t) => t.id);
  const kms = groupBy((await q.query<PgKmsConfigRow>('SELECT * FROM kms_configs WHERE tenant_id = ANY($1::text[]) ORDER BY id', [ids])).rows);
  const secrets = groupBy((await q.query<PgTenantSecretRow>('SELECT * FROM tenant_secrets WHERE tenant_id = ANY($1::text[]) ORDER BY id', [ids])).rows);
  const logging = new Map(
    (await q.query<PgLoggingConfigRow>('SELECT * FROM logging_configs WHERE tenant_id = ANY($1::text[])', [ids])).rows.map((r) => [r.tenant_id, r] as const),
  );
  return tenants.map((tenant) => {
    const row = logging.get(tenant.id);
    return {
      tenant,
      kmsConfigs: (kms.get(tenant.id) ?? []).map((r) => ({
        ...pgToKmsConfigView(r),
        credentials: box.openJson<Record<string, unknown>>(r.credentials, { table: 'kms_configs', rowId: r.id, field: 'credentials' }),
      })),
      logging: row === undefined ? undefined : loggingForDocument(box, row),
      secrets: (secrets.get(tenant.id) ?? []).map((r) => ({
        ...pgToTenantSecretView(r),
        encryptedSecret: box.open(r.encrypted_secret, { table: 'tenant_secrets', rowId: Number(r.id), field: 'encrypted_secret' }),
      })),
    };
  });
}
