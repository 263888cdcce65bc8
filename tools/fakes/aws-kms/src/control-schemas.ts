import Ajv from 'ajv';
import { AWS_KMS_ERRORS } from './aws-errors';
import type { FakeKeySpec } from './fake-keys';
import type { FaultRule } from './faults';
import type { SigV4Credential } from './sigv4';

/** JSON schemas of the control API bodies and of the CLI's --config file. */
const credential = {
  type: 'object',
  additionalProperties: false,
  required: ['accessKeyId', 'secretAccessKey'],
  properties: { accessKeyId: { type: 'string', minLength: 1 }, secretAccessKey: { type: 'string', minLength: 1 }, sessionToken: { type: 'string', minLength: 1 } },
};
const keySpec = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keyId: { type: 'string' },
    aliases: { type: 'array', items: { type: 'string' } },
    state: { enum: ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport'] },
    material: { type: 'string' },
  },
};
const faultRule = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: {
    key: { type: 'string', minLength: 1 },
    operation: { enum: ['Encrypt', 'Decrypt', 'GenerateDataKey'] },
    accessKeyId: { type: 'string', minLength: 1 },
    times: { type: 'integer', minimum: 1 },
    action: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'error'],
          properties: {
            type: { const: 'error' },
            error: { enum: Object.keys(AWS_KMS_ERRORS) },
            message: { type: 'string' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
          },
        },
        { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'drop' } } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'ms'],
          properties: { type: { const: 'latency' }, ms: { type: 'integer', minimum: 0, maximum: 600000 } },
        },
      ],
    },
  },
};
const fileConfig = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    region: { type: 'string', minLength: 1 },
    accountId: { type: 'string', pattern: '^[0-9]{12}$' },
    credentials: { type: 'array', items: credential },
    keys: { type: 'array', items: keySpec },
    faults: { type: 'array', items: faultRule },
  },
};

export interface FakeFileConfig {
  port?: number;
  region?: string;
  accountId?: string;
  credentials?: SigV4Credential[];
  keys?: FakeKeySpec[];
  faults?: FaultRule[];
}

const ajv = new Ajv({ allErrors: false, strict: true });
export const validateCredentials = ajv.compile<SigV4Credential[]>({ type: 'array', items: credential });
export const validateKeySpec = ajv.compile<FakeKeySpec>(keySpec);
export const validateKeyState = ajv.compile<{ key: string; state: NonNullable<FakeKeySpec['state']> }>({
  type: 'object',
  additionalProperties: false,
  required: ['key', 'state'],
  properties: { key: { type: 'string' }, state: keySpec.properties.state },
});
export const validateFaultRule = ajv.compile<FaultRule>(faultRule);
export const validateFileConfig = ajv.compile<FakeFileConfig>(fileConfig);

export function schemaErrorText(errors: typeof validateFaultRule.errors): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`).join('; ');
}
