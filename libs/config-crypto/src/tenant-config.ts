import Ajv from 'ajv';
import { describeAjvError } from '@tsp/tsp-protocol';

/**
 * The plaintext of one tenant's sealed part of a config document (format version 1).
 * Documented in docs/config-document.md. Provider-specific `keyPath` and `credentials` are
 * checked by the KMS provider of `type`; this schema checks the shape common to all.
 */
export type KmsType = 'local' | 'aws' | 'gcp' | 'azure';
export type SecretStatus = 'current' | 'inRotation' | 'archived';
export type TenantSecretType = 'deterministic' | 'search' | 'vector';

export interface LeasingSettings {
  enabled: boolean;
  /** Lifetime of a leased key for wrapping, seconds (default 3600). */
  lifetimeSeconds?: number;
}

export interface KmsConfig {
  /** Positive int32, unique within the document; goes into every EDEK. */
  id: number;
  type: KmsType;
  active: boolean;
  primary: boolean;
  leasing?: LeasingSettings;
  /** Where the key lives; provider-specific, immutable for a given id. */
  keyPath: Record<string, unknown>;
  /** Secret material to reach the key; provider-specific. Never logged. */
  credentials: Record<string, unknown>;
  /** Endpoint/authority override (private endpoints, sovereign clouds, fakes). */
  endpoint?: string;
}

export interface TenantSecret {
  /** u32 > 0, sent to clients as tenantSecretId. */
  id: number;
  secretPath: string;
  secretType: TenantSecretType;
  status: SecretStatus;
  /** base64 EncryptedDeks: the 32-byte secret wrapped by one of the tenant's KMS configs. */
  encryptedSecret: string;
}

/**
 * One logging/SIEM destination of a tenant. `type` names a sink plug-in of the logdriver
 * (docs/logging-sinks.md), which validates `settings` and `credentials`; the proxy ignores them.
 */
export interface LoggingSinkConfig {
  /** Stable id within the tenant ([A-Za-z0-9_-], at most 64): the delivery position is kept per id. */
  id: string;
  type: string;
  settings?: Record<string, unknown>;
  /** Secret material (tokens, keys, URLs that embed a secret). Never logged. */
  credentials?: Record<string, unknown>;
}

/** Where a tenant's security events go, and how fast. */
export interface LoggingConfig {
  sinks: LoggingSinkConfig[];
  /** Per sink of the tenant: events/s sustained and the burst above it (defaults: logdriver settings). */
  rateLimit?: { eventsPerSecond: number; burst?: number };
  /** Batching per sink: caps under the sink type's own limits (defaults: logdriver settings). */
  batch?: { maxEvents?: number; maxBytes?: number; maxAgeMs?: number };
}

export interface TenantConfig {
  tenantId: string;
  kmsConfigs: KmsConfig[];
  secrets: TenantSecret[];
  /**
   * Redundant wrap: every wrap also wraps the DEK with each other active config (primary
   * first in the EDEK), so unwrap still works while one KMS is down. Costs one KMS call (or
   * leased wrap) per active config on each wrap and larger EDEKs. Default false.
   */
  redundantWrap?: boolean;
  /** Absent: the tenant's events go to the logdriver's default sink (stdout unless set otherwise). */
  logging?: LoggingConfig;
}

export const tenantConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tenantId', 'kmsConfigs', 'secrets'],
  properties: {
    tenantId: { type: 'string', minLength: 1, maxLength: 512 },
    redundantWrap: { type: 'boolean' },
    logging: {
      type: 'object',
      additionalProperties: false,
      required: ['sinks'],
      properties: {
        sinks: {
          type: 'array',
          minItems: 1,
          maxItems: 8,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'type'],
            properties: {
              id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
              type: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
              settings: { type: 'object' },
              credentials: { type: 'object' },
            },
          },
        },
        rateLimit: {
          type: 'object',
          additionalProperties: false,
          required: ['eventsPerSecond'],
          properties: {
            eventsPerSecond: { type: 'integer', minimum: 1, maximum: 1000000 },
            burst: { type: 'integer', minimum: 1, maximum: 10000000 },
          },
        },
        batch: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxEvents: { type: 'integer', minimum: 1, maximum: 100000 },
            maxBytes: { type: 'integer', minimum: 1024, maximum: 104857600 },
            maxAgeMs: { type: 'integer', minimum: 0, maximum: 600000 },
          },
        },
      },
    },
    kmsConfigs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type', 'active', 'primary', 'keyPath', 'credentials'],
        properties: {
          id: { type: 'integer', minimum: 1, maximum: 2147483647 },
          type: { type: 'string', enum: ['local', 'aws', 'gcp', 'azure'] },
          active: { type: 'boolean' },
          primary: { type: 'boolean' },
          leasing: {
            type: 'object',
            additionalProperties: false,
            required: ['enabled'],
            properties: {
              enabled: { type: 'boolean' },
              lifetimeSeconds: { type: 'integer', minimum: 1, maximum: 2592000 },
            },
          },
          keyPath: { type: 'object' },
          credentials: { type: 'object' },
          endpoint: { type: 'string', minLength: 1 },
        },
      },
    },
    secrets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'secretPath', 'secretType', 'status', 'encryptedSecret'],
        properties: {
          id: { type: 'integer', minimum: 1, maximum: 4294967295 },
          secretPath: { type: 'string', minLength: 1 },
          secretType: { type: 'string', enum: ['deterministic', 'search', 'vector'] },
          status: { type: 'string', enum: ['current', 'inRotation', 'archived'] },
          encryptedSecret: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
const validateSchema = ajv.compile<TenantConfig>(tenantConfigSchema);

/**
 * Validates one opened tenant config: schema, then the rules across fields.
 * Returns a list of problems (empty when valid); messages name the field and never a value.
 */
export function validateTenantConfig(value: unknown, expectedTenantId: string): string[] {
  if (!validateSchema(value)) return (validateSchema.errors ?? []).map((e) => describeAjvError(e, 'config'));
  const problems: string[] = [];
  if (value.tenantId !== expectedTenantId) problems.push('tenantId does not match the tenant it was sealed for');
  const ids = new Set<number>();
  let primaries = 0;
  for (const c of value.kmsConfigs) {
    if (ids.has(c.id)) problems.push(`kmsConfigs id ${c.id} appears twice`);
    ids.add(c.id);
    if (c.primary) {
      primaries++;
      if (!c.active) problems.push(`kmsConfigs id ${c.id} is primary but not active`);
    }
  }
  if (primaries > 1) problems.push('kmsConfigs has more than one primary');
  const sinkIds = new Set<string>();
  for (const sink of value.logging?.sinks ?? []) {
    if (sinkIds.has(sink.id)) problems.push(`logging.sinks id '${sink.id}' appears twice`);
    sinkIds.add(sink.id);
  }
  const secretIds = new Set<number>();
  for (const s of value.secrets) {
    if (secretIds.has(s.id)) problems.push(`secrets id ${s.id} appears twice`);
    secretIds.add(s.id);
  }
  return problems;
}
