import { randomBytes } from 'node:crypto';
import { decodePublicKey, validateTenantConfig } from '@tsp/config-crypto';
import type { KmsType, LoggingConfig, SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import {
  Actor,
  ChangeContext,
  KmsConfigPatch,
  NewKmsConfig,
  NewServiceAccount,
  NewTenant,
  NewTenantAdminInvite,
  NewTenantSecret,
  RepositoryError,
  TenantPatch,
} from './repository';

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

/** An explicit KMS config id: a positive int32 (it goes into EDEKs). */
export function checkKmsConfigId(id: unknown): void {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_KMS_CONFIG_ID) {
    throw invalid('id', `id must be an integer from 1 to ${MAX_KMS_CONFIG_ID}`);
  }
}

export function checkNewKmsConfig(c: NewKmsConfig): void {
  if (!isPlainObject(c)) throw invalid('kmsConfig', 'kms config must be an object');
  if (c.id !== undefined) checkKmsConfigId(c.id);
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

export const ACTOR_KINDS: readonly Actor['kind'][] = ['vendor-admin', 'tenant-admin', 'service-account', 'system'];

/** Every write names who made it: an actor of a known kind with a printable id (never a token). */
export function checkChangeContext(ctx: ChangeContext): void {
  if (!isPlainObject(ctx) || !isPlainObject(ctx.actor)) throw invalid('actor', 'a change context with an actor is required');
  if (!ACTOR_KINDS.includes(ctx.actor.kind)) throw invalid('actor.kind', `actor.kind must be one of ${ACTOR_KINDS.join(', ')}`);
  checkText(ctx.actor.id, 'actor.id', 256);
}

export const SECRET_TYPES: readonly TenantSecretType[] = ['deterministic', 'search', 'vector'];
export const SECRET_STATUSES: readonly SecretStatus[] = ['current', 'inRotation', 'archived'];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_ENCRYPTED_SECRET = 65536;

export function checkSecretStatus(v: unknown): asserts v is SecretStatus {
  if (!SECRET_STATUSES.includes(v as SecretStatus)) throw invalid('status', `status must be one of ${SECRET_STATUSES.join(', ')}`);
}

export function checkNewTenantSecret(s: NewTenantSecret): void {
  if (!isPlainObject(s)) throw invalid('tenantSecret', 'tenant secret must be an object');
  checkText(s.tenantId, 'tenantId', 512);
  checkText(s.secretPath, 'secretPath', 1024);
  if (!SECRET_TYPES.includes(s.secretType)) throw invalid('secretType', `secretType must be one of ${SECRET_TYPES.join(', ')}`);
  if (s.status !== undefined) checkSecretStatus(s.status);
  const e = s.encryptedSecret;
  if (typeof e !== 'string' || e.length === 0 || e.length > MAX_ENCRYPTED_SECRET || !BASE64.test(e)) {
    throw invalid('encryptedSecret', `encryptedSecret must be base64 of at most ${MAX_ENCRYPTED_SECRET} characters`);
  }
}

/**
 * The rotation rule of a tenant secret: current → inRotation, inRotation → current (the
 * back end refuses it as a conflict while another Current of the path and type exists),
 * inRotation → archived. Archived is final; anything else (the same status included) is
 * 'invalid' naming 'status'.
 */
export function checkSecretStatusChange(from: SecretStatus, to: SecretStatus): void {
  checkSecretStatus(to);
  const allowed = (from === 'current' && to === 'inRotation') || (from === 'inRotation' && (to === 'current' || to === 'archived'));
  if (!allowed) throw invalid('status', `a ${from} tenant secret cannot become ${to}`);
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Precondition for a tenant admin's email (the login name); returns it lower-cased. */
export function normalizeEmail(email: unknown, field = 'email'): string {
  if (typeof email !== 'string' || email.length > 254 || CONTROL.test(email) || !EMAIL.test(email)) {
    throw invalid(field, `${field} must be an email address of at most 254 characters`);
  }
  return email.toLowerCase();
}

/** An ISO 8601 time (what `Date.prototype.toISOString` gives). */
export function checkIsoTime(v: unknown, field: string): void {
  if (typeof v !== 'string' || v.length > 64 || !/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v))) {
    throw invalid(field, `${field} must be an ISO 8601 time`);
  }
}

function checkTokenHash(v: unknown, field: string): void {
  if (typeof v !== 'string' || !SHA256_HEX.test(v)) throw invalid(field, `${field} must be a SHA-256 hash in lower-case hex`);
}

/** Checks an invitation; returns the lower-cased email. */
export function checkNewTenantAdminInvite(invite: NewTenantAdminInvite): string {
  if (!isPlainObject(invite)) throw invalid('invite', 'invite must be an object');
  checkText(invite.tenantId, 'tenantId', 512);
  const email = normalizeEmail(invite.email);
  checkTokenHash(invite.inviteTokenHash, 'inviteTokenHash');
  checkIsoTime(invite.inviteExpiresAt, 'inviteExpiresAt');
  return email;
}

export function checkInviteAcceptance(inviteTokenHash: string, passwordHash: string, at: string): void {
  checkTokenHash(inviteTokenHash, 'inviteTokenHash');
  checkText(passwordHash, 'passwordHash', 1024);
  checkIsoTime(at, 'at');
}

/** True while an invitation expiring at `expiresAt` can still be accepted at `at`. */
export function inviteOpen(expiresAt: string, at: string): boolean {
  return Date.parse(at) < Date.parse(expiresAt);
}

/** A new tenant admin id: opaque, random, never reused. */
export function newTenantAdminId(): string {
  return `ta_${randomBytes(16).toString('hex')}`;
}

export const MAX_ADMIN_EVENT_BATCH = 10000;

export function checkAdminEventLimit(limit: unknown): void {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_ADMIN_EVENT_BATCH) {
    throw invalid('limit', `limit must be an integer from 1 to ${MAX_ADMIN_EVENT_BATCH}`);
  }
}

export function checkAdminEventIds(ids: readonly number[]): void {
  if (!Array.isArray(ids) || ids.length > MAX_ADMIN_EVENT_BATCH || !ids.every((id) => Number.isSafeInteger(id) && id >= 1)) {
    throw invalid('ids', `ids must be a list of at most ${MAX_ADMIN_EVENT_BATCH} positive integers`);
  }
}
