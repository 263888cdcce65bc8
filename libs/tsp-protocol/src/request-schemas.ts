/**
 * JSON schemas (ajv, draft-07) for every request of tsp-api.md, with the TypeScript types they
 * guarantee. Optional iclFields arrive omitted (Node, Java, Go) or null (PHP, Rust): both pass.
 * Unknown top-level fields are tolerated, since clients add their own (the Rust tenantId on
 * EDEKs, timestampMillis on non-event routes).
 */

export interface IclFields {
  requestingId: string;
  dataLabel?: string | null;
  sourceIp?: string | null;
  objectId?: string | null;
  requestId?: string | null;
  event?: string | null;
}

export interface RequestMetadata {
  tenantId: string;
  iclFields: IclFields;
  customFields?: Record<string, string> | null;
  timestampMillis?: number | null;
}

export interface WrapRequest extends RequestMetadata {}
export interface BatchWrapRequest extends RequestMetadata {
  documentIds: string[];
}
export interface UnwrapRequest extends RequestMetadata {
  encryptedDocumentKey: string;
}
export interface BatchUnwrapRequest extends RequestMetadata {
  edeks: Record<string, string>;
}
export interface RekeyRequest extends RequestMetadata {
  encryptedDocumentKey: string;
  newTenantId: string;
}
export type DerivationType = 'sha512' | 'sha256' | 'argon2';
export type SecretType = 'deterministic' | 'search' | 'vector';
export interface DeriveRequest extends RequestMetadata {
  paths: Record<string, string[]>;
  derivationType: DerivationType;
  secretType: SecretType;
}
export interface SecurityEventRequest extends RequestMetadata {
  /** The Rust client sends the event name at top level; the others inside iclFields. */
  event?: string | null;
}
export interface ReportOperationsRequest extends RequestMetadata {
  operations: Record<string, { wraps: number; unwraps: number }>;
}

/** Limits that make schemas; configurable in main.ts. */
export interface SchemaLimits {
  /** Most documentIds / edeks in one batch request. */
  maxBatchSize: number;
  /** Longest string accepted for an id (tenant, document, requesting id...). */
  maxIdLength: number;
}

export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = Object.freeze({ maxBatchSize: 1000, maxIdLength: 512 });

const nullableString = { type: ['string', 'null'] } as const;

function metadataProperties(limits: SchemaLimits) {
  const id = { type: 'string', minLength: 1, maxLength: limits.maxIdLength } as const;
  return {
    tenantId: id,
    iclFields: {
      type: 'object',
      required: ['requestingId'],
      properties: {
        requestingId: id,
        dataLabel: nullableString,
        sourceIp: nullableString,
        objectId: nullableString,
        requestId: nullableString,
        event: nullableString,
      },
    },
    customFields: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    timestampMillis: { type: ['integer', 'null'], minimum: 0, maximum: 8640000000000000 },
  } as const;
}

function requestSchema(limits: SchemaLimits, required: string[], extra: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['tenantId', 'iclFields', ...required],
    properties: { ...metadataProperties(limits), ...extra },
  };
}

export function buildRequestSchemas(limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS) {
  const id = { type: 'string', minLength: 1, maxLength: limits.maxIdLength };
  const edek = { type: 'string', minLength: 1 };
  return {
    wrap: requestSchema(limits, [], {}),
    batchWrap: requestSchema(limits, ['documentIds'], {
      documentIds: { type: 'array', minItems: 1, maxItems: limits.maxBatchSize, items: id },
    }),
    unwrap: requestSchema(limits, ['encryptedDocumentKey'], { encryptedDocumentKey: edek }),
    batchUnwrap: requestSchema(limits, ['edeks'], {
      edeks: {
        type: 'object',
        minProperties: 1,
        maxProperties: limits.maxBatchSize,
        propertyNames: { maxLength: limits.maxIdLength },
        additionalProperties: edek,
      },
    }),
    rekey: requestSchema(limits, ['encryptedDocumentKey', 'newTenantId'], {
      encryptedDocumentKey: edek,
      newTenantId: id,
    }),
    derive: requestSchema(limits, ['paths', 'derivationType', 'secretType'], {
      paths: {
        type: 'object',
        minProperties: 1,
        maxProperties: limits.maxBatchSize,
        additionalProperties: { type: 'array', minItems: 1, maxItems: limits.maxBatchSize, items: { type: 'string' } },
      },
      derivationType: { type: 'string', enum: ['sha512', 'sha256', 'argon2'] },
      secretType: { type: 'string', enum: ['deterministic', 'search', 'vector'] },
    }),
    securityEvent: requestSchema(limits, [], { event: nullableString }),
    reportOperations: requestSchema(limits, ['operations'], {
      operations: {
        type: 'object',
        maxProperties: limits.maxBatchSize,
        additionalProperties: {
          type: 'object',
          required: ['wraps', 'unwraps'],
          properties: { wraps: { type: 'integer', minimum: 0 }, unwraps: { type: 'integer', minimum: 0 } },
        },
      },
    }),
  };
}

export type RequestSchemas = ReturnType<typeof buildRequestSchemas>;
