/**
 * Response schemas: they drive fastify's serializer (fast-json-stringify) and document the exact
 * success shapes. Every success field is required, so an error body never parses as a success.
 */

export interface WrapResponse {
  dek: string;
  edek: string;
}
export interface UnwrapResponse {
  dek: string;
}
export interface FailureBody {
  code: number;
  message: string;
}
export interface BatchWrapResponse {
  keys: Record<string, WrapResponse>;
  failures: Record<string, FailureBody>;
}
export interface BatchUnwrapResponse {
  keys: Record<string, UnwrapResponse>;
  failures: Record<string, FailureBody>;
}
export interface DerivedKey {
  derivedKey: string;
  tenantSecretId: number;
  current: boolean;
}
export interface DeriveResponse {
  hasPrimaryConfig: boolean;
  derivedKeys: Record<string, Record<string, DerivedKey[]>>;
}

const wrapShape = {
  type: 'object',
  required: ['dek', 'edek'],
  properties: { dek: { type: 'string' }, edek: { type: 'string' } },
} as const;
const unwrapShape = { type: 'object', required: ['dek'], properties: { dek: { type: 'string' } } } as const;
const failureShape = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'integer' }, message: { type: 'string' } },
} as const;

export const responseSchemas = {
  wrap: wrapShape,
  unwrap: unwrapShape,
  rekey: wrapShape,
  batchWrap: {
    type: 'object',
    required: ['keys', 'failures'],
    properties: {
      keys: { type: 'object', additionalProperties: wrapShape },
      failures: { type: 'object', additionalProperties: failureShape },
    },
  },
  batchUnwrap: {
    type: 'object',
    required: ['keys', 'failures'],
    properties: {
      keys: { type: 'object', additionalProperties: unwrapShape },
      failures: { type: 'object', additionalProperties: failureShape },
    },
  },
  derive: {
    type: 'object',
    required: ['hasPrimaryConfig', 'derivedKeys'],
    properties: {
      hasPrimaryConfig: { type: 'boolean' },
      derivedKeys: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          additionalProperties: {
            type: 'array',
            items: {
              type: 'object',
              required: ['derivedKey', 'tenantSecretId', 'current'],
              properties: {
                derivedKey: { type: 'string' },
                tenantSecretId: { type: 'integer' },
                current: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
  error: failureShape,
} as const;
