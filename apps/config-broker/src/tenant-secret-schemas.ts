/**
 * JSON schemas of the tenant-secret routes (the proxies' creation and the admins' rotation);
 * the routes validate with them and openapi.ts publishes them.
 */

const TIMESTAMP = { type: 'string', description: 'ISO 8601 time' } as const;
const SECRET_TYPE = { type: 'string', enum: ['deterministic', 'search', 'vector'] } as const;
const SECRET_STATUS = {
  type: 'string',
  enum: ['current', 'inRotation', 'archived'],
  description: 'current: served first (current: true); inRotation: still served (current: false) while a new current one is used; archived: no longer served',
} as const;
const SECRET_PATH = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export const tenantSecretIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$', description: 'Tenant secret id, 1 to 2^32-1' } },
} as const;

/** What a proxy sends: the secret already wrapped by one of the tenant's active KMS configs. */
export const newTenantSecretBody = {
  type: 'object',
  additionalProperties: false,
  required: ['tenantId', 'secretPath', 'secretType', 'encryptedSecret'],
  properties: {
    tenantId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
    secretPath: SECRET_PATH,
    secretType: SECRET_TYPE,
    encryptedSecret: {
      type: 'string',
      minLength: 4,
      maxLength: 65536,
      pattern: '^[A-Za-z0-9+/]+={0,2}$',
      description: "base64 EncryptedDeks: 32 random bytes wrapped by the tenant's primary KMS config (the first entry's kmsConfigId must be an active config of the tenant)",
    },
  },
} as const;

/** The broker's answer to a proxy: the Current secret of the path (created now or before). */
export const createdTenantSecret = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'secretPath', 'secretType', 'status', 'encryptedSecret', 'created'],
  properties: {
    id: { type: 'integer', description: 'tenantSecretId' },
    secretPath: { type: 'string' },
    secretType: SECRET_TYPE,
    status: SECRET_STATUS,
    encryptedSecret: { type: 'string', description: "The Current secret as stored: use this one, it may be another proxy's" },
    created: { type: 'boolean', description: 'false: a Current secret of this path and type existed already and is answered instead' },
  },
} as const;

/** A tenant secret as admins see it: never its material. */
export const tenantSecret = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'tenantId', 'secretPath', 'secretType', 'status', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    tenantId: { type: 'string' },
    secretPath: { type: 'string' },
    secretType: SECRET_TYPE,
    status: SECRET_STATUS,
    createdAt: TIMESTAMP,
  },
} as const;
