import type { KeyObject } from 'node:crypto';
import { assertNoProblems, Setting, settingsReader } from '@tsp/app-support';
import { urlForLogs } from '@tsp/broker-client';
import { assertPublicKeyMatches, decodePrivateKey } from '@tsp/config-crypto';
import { MasterKeySetting, parseMasterKeySetting } from './master-key';

/**
 * Where the broker keeps its data: a SQLite file, or a PostgreSQL database several brokers may
 * share. A connection string may hold a password: logs show `forLogs` (no user info, no query).
 */
export type BrokerDatabase = { kind: 'sqlite'; file: string; forLogs: string } | { kind: 'postgres'; connectionString: string; forLogs: string };

/**
 * Every setting of the configuration broker. main.ts is the only place that reads the
 * environment. Unknown TSP_BROKER_* variables are rejected (a typo never falls back to a
 * default), except TSP_BROKER_PUBLIC_KEY, the proxy's variable: when present it must be the
 * public half of the signing key.
 */
export interface BrokerConfig {
  host: string;
  port: number;
  database: BrokerDatabase;
  /** Encrypts secret fields at rest: 32 bytes, or wrapped by a KMS (main.ts unwraps it: master-key.ts). */
  masterKey: MasterKeySetting;
  signingKey: KeyObject;
  adminToken: string;
  /** Without a trailing slash. */
  publicUrl: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** Logdriver base URL for ADMIN_* events; '' → events as JSON lines on stdout. */
  logdriverUrl: string;
}

interface RawSettings {
  host: string;
  port: number;
  dbFile: string;
  masterKey: string;
  masterKeyWrapped: string;
  masterKeyKms: string;
  signingKey: string;
  adminToken: string;
  publicUrl: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  logdriverUrl: string;
}

export const SETTINGS: readonly Setting<keyof RawSettings>[] = [
  { key: 'host', env: 'TSP_BROKER_HOST', type: 'string', default: '127.0.0.1', doc: 'Address the broker binds (0.0.0.0 in containers)' },
  { key: 'port', env: 'TSP_BROKER_PORT', type: 'integer', default: 9500, min: 0, max: 65535, doc: 'Port of the admin API, the config document route and /live' },
  { key: 'dbFile', env: 'TSP_BROKER_DB', type: 'string', doc: 'SQLite database file, or a postgres:// (postgresql://) URL of a PostgreSQL database' },
  { key: 'masterKey', env: 'TSP_BROKER_MASTER_KEY', type: 'string', default: '', secret: true, doc: 'base64 of 32 random bytes: encrypts KMS and sink credentials and tenant secrets at rest (required unless TSP_BROKER_MASTER_KEY_WRAPPED is set)' },
  { key: 'masterKeyWrapped', env: 'TSP_BROKER_MASTER_KEY_WRAPPED', type: 'string', default: '', secret: true, doc: 'Instead of TSP_BROKER_MASTER_KEY: base64 of the master key wrapped by a KMS (tsp-admin broker-master-key), unwrapped at start with TSP_BROKER_MASTER_KEY_KMS' },
  { key: 'masterKeyKms', env: 'TSP_BROKER_MASTER_KEY_KMS', type: 'string', default: '', secret: true, doc: 'With TSP_BROKER_MASTER_KEY_WRAPPED: the KMS config that unwraps it, JSON {type, keyPath, credentials, endpoint?} as in a kmsConfigs entry, or the path of a file holding that JSON' },
  { key: 'signingKey', env: 'TSP_BROKER_SIGNING_KEY', type: 'string', secret: true, doc: 'Ed25519 private key (base64 PKCS#8) that signs config documents' },
  { key: 'adminToken', env: 'TSP_BROKER_ADMIN_TOKEN', type: 'string', secret: true, doc: 'Bearer token of the vendor admin API (16 characters or more)' },
  { key: 'publicUrl', env: 'TSP_BROKER_PUBLIC_URL', type: 'string', default: 'http://127.0.0.1:9500', doc: "URL proxies reach the broker at; service-account files get <url>/api/v1/config-document" },
  { key: 'logLevel', env: 'TSP_BROKER_LOG_LEVEL', type: 'string', default: 'info', enum: ['error', 'warn', 'info', 'debug'], doc: 'Log level (logs go to stderr)' },
  { key: 'logdriverUrl', env: 'TSP_BROKER_LOGDRIVER_URL', type: 'string', default: '', doc: "Logdriver base URL (e.g. http://127.0.0.1:9001) that receives every admin change as an ADMIN_* security event of its tenant; empty: the events are written to stdout as JSON lines" },
  { key: 'shutdownTimeoutMs', env: 'TSP_BROKER_SHUTDOWN_TIMEOUT_MS', type: 'integer', default: 15000, min: 100, max: 600000, doc: 'Longest graceful shutdown before the process exits with 1' },
];

const PREFIX = 'TSP_BROKER_';
const PROXY_VARIABLE = 'TSP_BROKER_PUBLIC_KEY';
const readSettings = settingsReader(SETTINGS, { requiredNonEmpty: true });
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** TSP_BROKER_DB: a postgres:// or postgresql:// URL selects PostgreSQL; anything else is a SQLite file path. */
function parseDatabase(value: string, problems: string[]): BrokerDatabase {
  if (!POSTGRES_URL.test(value)) return { kind: 'sqlite', file: value, forLogs: value };
  try {
    return { kind: 'postgres', connectionString: value, forLogs: urlForLogs(new URL(value)) };
  } catch {
    // Never echo the value: it may hold the database password.
    problems.push('TSP_BROKER_DB is not a valid postgres:// URL (postgres://user:password@host:5432/database)');
    return { kind: 'postgres', connectionString: '', forLogs: '' };
  }
}

/** Validates and freezes the settings; throws one Error naming every bad variable (never its value). */
export function parseBrokerConfig(vars: Readonly<Record<string, string | undefined>>): BrokerConfig {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (v !== undefined && k.startsWith(PREFIX) && k !== PROXY_VARIABLE) relevant[k] = v;
  }
  const { values, problems } = readSettings(relevant);
  const raw = values as unknown as RawSettings;

  const masterKey = parseMasterKeySetting({ plain: raw.masterKey, wrapped: raw.masterKeyWrapped, kms: raw.masterKeyKms }, problems);
  let signingKey: KeyObject | undefined;
  if (typeof raw.signingKey === 'string' && raw.signingKey !== '') {
    try {
      signingKey = decodePrivateKey(raw.signingKey, 'ed25519', 'TSP_BROKER_SIGNING_KEY');
      const proxyView = vars[PROXY_VARIABLE];
      if (proxyView !== undefined) assertPublicKeyMatches(signingKey, proxyView, 'ed25519', PROXY_VARIABLE);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (typeof raw.adminToken === 'string' && raw.adminToken !== '' && raw.adminToken.length < 16) problems.push('TSP_BROKER_ADMIN_TOKEN must be at least 16 characters');
  let publicUrl = '';
  try {
    const u = new URL(raw.publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('TSP_BROKER_PUBLIC_URL must be an http:// or https:// URL');
    else if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') problems.push('TSP_BROKER_PUBLIC_URL must not carry credentials, a query or a fragment');
    publicUrl = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    problems.push('TSP_BROKER_PUBLIC_URL is not a URL');
  }
  if (raw.logdriverUrl !== '' && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(raw.logdriverUrl)) problems.push('TSP_BROKER_LOGDRIVER_URL must be an http:// or https:// URL without a query');
  const database = typeof raw.dbFile === 'string' && raw.dbFile !== '' ? parseDatabase(raw.dbFile, problems) : undefined;
  assertNoProblems(problems);
  return Object.freeze({
    host: raw.host,
    port: raw.port,
    database: Object.freeze(database as BrokerDatabase),
    masterKey: masterKey as MasterKeySetting,
    signingKey: signingKey as KeyObject,
    adminToken: raw.adminToken,
    publicUrl,
    logLevel: raw.logLevel,
    shutdownTimeoutMs: raw.shutdownTimeoutMs,
    logdriverUrl: raw.logdriverUrl.replace(/\/+$/, ''),
  });
}
