import { tenantConfigSchema } from '@tsp/config-crypto';

/**
 * JSON schemas of the broker API (request bodies, parameters and answers). The routes validate
 * with them (unknown properties are rejected) and openapi.ts publishes them, so the two cannot
 * drift apart.
 */

const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const TAG = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' } as const;
const TAGS = { type: 'array', items: TAG, maxItems: 32, uniqueItems: true } as const;
const TIMESTAMP = { type: 'string', description: 'ISO 8601 time' } as const;
const KMS_TYPE = { type: 'string', enum: ['local', 'aws', 'gcp', 'azure'] } as const;
const LIFETIME = { type: 'integer', minimum: 1, maximum: 2592000 } as const;
const ENDPOINT = { type: 'string', minLength: 1, maxLength: 2048, pattern: '^https?://' } as const;

export const tenantIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
} as const;

export const kmsConfigIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$', description: 'KMS config id, 1 to 2^31-1' } },
} as const;

export const serviceAccountIdParams = tenantIdParams;

export const newTenantBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    tags: TAGS,
    archived: { type: 'boolean' },
    leasingRequired: { type: 'boolean' },
  },
} as const;

export const tenantPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: newTenantBody.properties.name,
    tags: TAGS,
    archived: { type: 'boolean' },
    leasingRequired: { type: 'boolean' },
  },
} as const;

export const tenantListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tag: TAG,
    includeArchived: { type: 'string', enum: ['true', 'false'] },
  },
} as const;

export const tenant = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'tags', 'archived', 'leasingRequired', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    archived: { type: 'boolean' },
    leasingRequired: { type: 'boolean' },
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  },
} as const;

export const newKmsConfigBody = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'keyPath', 'credentials'],
  properties: {
    id: { type: 'integer', minimum: 1, maximum: 2147483647, description: 'Optional explicit id (e.g. moving configs whose EDEKs carry it); 409 when the id was ever used. Omitted: the next unused id' },
    type: KMS_TYPE,
    keyPath: { type: 'object', minProperties: 1, description: 'Provider-specific; immutable after creation' },
    credentials: { type: 'object', writeOnly: true, maxProperties: 32, description: 'Provider-specific secret material; write-only; at most 64 KiB as JSON' },
    endpoint: ENDPOINT,
    active: { type: 'boolean' },
    primary: { type: 'boolean' },
    leasingAllowed: { type: 'boolean', description: 'Only when the tenant has a logging config' },
    leasingLifetimeSeconds: LIFETIME,
  },
} as const;

/** `keyPath` and `type` are listed so the route can answer "immutable" rather than "unknown". */
export const kmsConfigPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    credentials: newKmsConfigBody.properties.credentials,
    endpoint: ENDPOINT,
    active: { type: 'boolean' },
    primary: { type: 'boolean' },
    leasingAllowed: newKmsConfigBody.properties.leasingAllowed,
    leasingLifetimeSeconds: LIFETIME,
    keyPath: { description: 'Immutable: always refused' },
    type: { description: 'Immutable: always refused' },
  },
} as const;

export const kmsConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'tenantId', 'type', 'keyPath', 'active', 'primary', 'leasingAllowed', 'hasCredentials', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    tenantId: { type: 'string' },
    type: KMS_TYPE,
    keyPath: { type: 'object' },
    endpoint: { type: 'string' },
    active: { type: 'boolean' },
    primary: { type: 'boolean' },
    leasingAllowed: { type: 'boolean' },
    leasingLifetimeSeconds: { type: 'integer' },
    hasCredentials: { type: 'boolean' },
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  },
} as const;

/** The tenant-config document's own `logging` schema: what the broker stores is what proxies get. */
export const loggingConfigBody = tenantConfigSchema.properties.logging;

export const loggingConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['tenantId', 'sinks', 'updatedAt'],
  properties: {
    tenantId: { type: 'string' },
    sinks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type', 'settings', 'hasCredentials'],
        properties: { id: { type: 'string' }, type: { type: 'string' }, settings: { type: 'object' }, hasCredentials: { type: 'boolean' } },
      },
    },
    rateLimit: loggingConfigBody.properties.rateLimit,
    batch: loggingConfigBody.properties.batch,
    updatedAt: TIMESTAMP,
  },
} as const;

export const newServiceAccountBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'tenantTags'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    tenantTags: { ...TAGS, description: 'Serves the tenants having at least one of these tags; empty: every tenant' },
  },
} as const;

export const serviceAccount = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'encryptionPublicKey', 'signingPublicKey', 'tenantTags', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    encryptionPublicKey: { type: 'string', description: 'base64 SPKI X25519' },
    signingPublicKey: { type: 'string', description: 'base64 SPKI Ed25519' },
    tenantTags: { type: 'array', items: { type: 'string' } },
    revokedAt: TIMESTAMP,
    createdAt: TIMESTAMP,
  },
} as const;

export const createdServiceAccount = {
  type: 'object',
  additionalProperties: false,
  required: ['serviceAccount', 'envFile'],
  properties: {
    serviceAccount,
    envFile: { type: 'string', description: 'The env file of the proxy (TSP_SERVICE_ACCOUNT_FILE): holds the private keys; shown once, never stored' },
  },
} as const;

export const errorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: ['invalid-request', 'unauthorized', 'forbidden', 'not-found', 'conflict', 'too-large', 'unsupported-media-type', 'too-many-requests', 'unavailable', 'internal'] },
    message: { type: 'string' },
  },
} as const;

export const documentEnvelope = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'version', 'signingKeyId', 'payload', 'signature'],
  properties: {
    format: { type: 'string', const: 'tsp-config-document' },
    version: { type: 'integer', const: 1 },
    signingKeyId: { type: 'string' },
    payload: { type: 'string', description: 'base64 UTF-8 JSON payload (docs/config-document.md)' },
    signature: { type: 'string', description: 'base64 Ed25519 signature' },
  },
} as const;

const EMAIL = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' } as const;
const PASSWORD = { type: 'string', minLength: 12, maxLength: 1024 } as const;

export const loginBody = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['email', 'password'], properties: { email: EMAIL, password: { type: 'string', minLength: 1, maxLength: 1024 } } },
    { type: 'object', additionalProperties: false, required: ['adminToken'], properties: { adminToken: { type: 'string', minLength: 1, maxLength: 1024 } } },
  ],
} as const;

export const session = {
  type: 'object',
  required: ['token', 'expiresAt', 'principal'],
  properties: {
    token: { type: 'string', description: 'Send as "Authorization: Bearer <token>"' },
    expiresAt: TIMESTAMP,
    principal: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', enum: ['vendor-admin', 'tenant-admin'] }, id: { type: 'string' }, tenantId: { type: 'string' }, email: { type: 'string' } },
    },
  },
} as const;

export const inviteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: { email: EMAIL },
} as const;

export const acceptInviteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['token', 'password'],
  properties: { token: { type: 'string', minLength: 16, maxLength: 256 }, password: PASSWORD },
} as const;

export const tenantAdminIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^ta_[0-9a-f]{8,64}$' } },
} as const;

export const tenantAdmin = {
  type: 'object',
  required: ['id', 'tenantId', 'email', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    tenantId: { type: 'string' },
    email: { type: 'string' },
    status: { type: 'string', enum: ['invited', 'active'] },
    createdAt: TIMESTAMP,
    lastLoginAt: TIMESTAMP,
  },
} as const;

export const createdInvite = {
  type: 'object',
  required: ['admin', 'inviteToken', 'inviteUrl', 'expiresAt'],
  properties: {
    admin: tenantAdmin,
    inviteToken: { type: 'string', description: 'One-time token, shown once; the broker keeps only its hash' },
    inviteUrl: { type: 'string', description: 'The web page where the invited admin sets a password' },
    expiresAt: TIMESTAMP,
  },
} as const;
