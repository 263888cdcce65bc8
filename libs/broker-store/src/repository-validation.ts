import { decodePublicKey, validateTenantConfig } from '@tsp/config-crypto';
import type { KmsType, LoggingConfig } from '@tsp/config-crypto';
import { KmsConfigPatch, NewKmsConfig, NewServiceAccount, NewTenant, RepositoryError, TenantPatch } from './repository';

/**
 * Input checks shared by every BrokerRepository back end, so SQLite and PostgreSQL refuse the
 * same inputs with the same RepositoryError ('invalid', naming the field, never a value).
 */

export const KMS_TYPES: readonly KmsType[] = ['local', 'aws', 'gcp', 'azure'];
export const MAX_KMS_CONFIG_ID = 2147483647;
export const MAX_TENANT_SECRET_ID = 4294967295;
const MAX_LEASE_SECONDS = 2592000;

function invalid(field: string, message: string): RepositoryError {
  return new RepositoryError('invalid', message, field);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CONTROL = /[\u0000-\u001f\u007f]/;

function checkText(v: unknown, field: string, max: number): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || CONTROL.test(v)) {
    throw invalid(field, `${field} must be a string of 1 to ${max} printable characters`);
  }
}

function checkBool(v: unknown, field: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw invalid(field, `${field} must be a boolean`);
}

/** Precondition for tags: at most 32 distinct strings of 1..64 printable characters. Returns them de-duplicated. */
export function checkTags(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 32) throw invalid(field, `${field} must be a list of at most 32 tags`);
  for (const t of v) checkText(t, field, 64);
  return [...new Set(v as string[])];
}

export function checkNewTenant(t: NewTenant): void {
  if (!isPlainObject(t)) throw invalid('tenant', 'tenant must be an object');
  checkText(t.id, 'id', 512);
  checkText(t.name, 'name', 256);
  checkTags(t.tags, 'tags');
  checkBool(t.archived, 'archived');
  checkBool(t.leasingRequired, 'leasingRequired');
}

export function checkTenantPatch(p: TenantPatch): void {
  if (!isPlainObject(p)) throw invalid('patch', 'patch must be an object');
  if (p.name !== undefined) checkText(p.name, 'name', 256);
  if (p.tags !== undefined) checkTags(p.tags, 'tags');
  checkBool(p.archived, 'archived');
  checkBool(p.leasingRequired, 'leasingRequired');
}

function checkKmsOptional(c: KmsConfigPatch): void {
  if (c.credentials !== undefined && !isPlainObject(c.credentials)) throw invalid('credentials', 'credentials must be an object');
  if (c.endpoint !== undefined) checkText(c.endpoint, 'endpoint', 2048);
  checkBool(c.active, 'active');
  checkBool(c.primary, 'primary');
  checkBool(c.leasingAllowed, 'leasingAllowed');
  const life = c.leasingLifetimeSeconds;
  if (life !== undefined && (!Number.isInteger(life) || life < 1 || life > MAX_LEASE_SECONDS)) {
    throw invalid('leasingLifetimeSeconds', `leasingLifetimeSeconds must be an integer from 1 to ${MAX_LEASE_SECONDS}`);
  }
}

export function checkNewKmsConfig(c: NewKmsConfig): void {
  if (!isPlainObject(c)) throw invalid('kmsConfig', 'kms config must be an object');
  checkText(c.tenantId, 'tenantId', 512);
  if (!KMS_TYPES.includes(c.type)) throw invalid('type', `type must be one of ${KMS_TYPES.join(', ')}`);
  if (!isPlainObject(c.keyPath)) throw invalid('keyPath', 'keyPath must be an object');
  if (!isPlainObject(c.credentials)) throw invalid('credentials', 'credentials must be an object');
  checkKmsOptional(c);
}

/** Precondition: `patch` came from a caller; keyPath and type are immutable and refused here. */
export function checkKmsConfigPatch(patch: KmsConfigPatch): void {
  if (!isPlainObject(patch)) throw invalid('patch', 'patch must be an object');
  for (const field of ['keyPath', 'type', 'tenantId', 'id']) {
    if (field in patch) throw invalid(field, `${field} of a kms config cannot be changed`);
  }
  checkKmsOptional(patch);
}

/** A primary config must be active (the state after the write). */
export function checkPrimaryActive(primary: boolean, active: boolean): void {
  if (primary && !active) throw invalid('primary', 'a primary kms config must be active');
}

/** Checks a logging config with the same rules a proxy applies to the opened tenant config. */
export function checkLoggingConfig(tenantId: string, config: LoggingConfig): void {
  if (!isPlainObject(config)) throw invalid('logging', 'logging config must be an object');
  const problems = validateTenantConfig({ tenantId, kmsConfigs: [], secrets: [], logging: config }, tenantId);
  if (problems.length > 0) {
    const first = problems[0];
    throw invalid(first.split(' ')[0], `logging config is invalid: ${first}`);
  }
}

export function checkNewServiceAccount(sa: NewServiceAccount): void {
  if (!isPlainObject(sa)) throw invalid('serviceAccount', 'service account must be an object');
  checkText(sa.id, 'id', 128);
  checkText(sa.name, 'name', 256);
  for (const [field, kind] of [
    ['encryptionPublicKey', 'x25519'],
    ['signingPublicKey', 'ed25519'],
  ] as const) {
    try {
      if (typeof sa[field] !== 'string') throw new Error('not a string');
      decodePublicKey(sa[field], kind, field);
    } catch {
      throw invalid(field, `${field} must be a base64 SPKI ${kind} public key`);
    }
  }
  checkTags(sa.tenantTags, 'tenantTags');
}
