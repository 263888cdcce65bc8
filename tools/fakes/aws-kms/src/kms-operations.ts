import { randomBytes } from 'node:crypto';
import { AwsKmsError } from './aws-errors';
import type { FakeKeyInfo, FakeKeyStore } from './fake-keys';

/**
 * The TrentService actions the fake implements (JSON 1.1 bodies, blobs base64), with the
 * validation and errors of AWS KMS for symmetric keys.
 */
export const OPERATIONS = ['Encrypt', 'Decrypt', 'GenerateDataKey'] as const;
export type KmsOperation = (typeof OPERATIONS)[number];

export function isKmsOperation(s: string): s is KmsOperation {
  return (OPERATIONS as readonly string[]).includes(s);
}

type Body = Record<string, unknown>;

const validation = (field: string, constraint: string): AwsKmsError =>
  new AwsKmsError('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`);

function blobField(body: Body, name: string, field: string, max: number): Buffer {
  const v = body[name];
  if (v === undefined || v === null) throw new AwsKmsError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new AwsKmsError('SerializationException', `Could not deserialize '${name}' as a blob`);
  const b = Buffer.from(v, 'base64');
  if (b.length < 1 || b.length > max) throw validation(field, `Member must have length less than or equal to ${max}`);
  return b;
}

function keyIdField(body: Body, required: boolean): string | undefined {
  const v = body['KeyId'];
  if (v === undefined || v === null) {
    if (required) throw new AwsKmsError('ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    return undefined;
  }
  if (typeof v !== 'string' || v.length < 1 || v.length > 2048) throw validation('keyId', 'Member must have length between 1 and 2048');
  return v;
}

function contextField(body: Body): Record<string, string> {
  const v = body['EncryptionContext'];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new AwsKmsError('SerializationException', "Could not deserialize 'EncryptionContext'");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new AwsKmsError('SerializationException', "Could not deserialize 'EncryptionContext'");
    out[k] = val;
  }
  return out;
}

function resolveOrThrow(store: FakeKeyStore, ref: string): FakeKeyInfo {
  const key = store.resolve(ref);
  if (key !== undefined) return key;
  if (ref.includes('alias/')) throw new AwsKmsError('NotFoundException', `Alias ${ref.startsWith('arn:') ? ref : `arn:aws:kms:${store.region}:${store.accountId}:${ref}`} is not found.`);
  throw new AwsKmsError('NotFoundException', `Key '${ref.startsWith('arn:') ? ref : `arn:aws:kms:${store.region}:${store.accountId}:key/${ref}`}' does not exist`);
}

function checkUsable(key: FakeKeyInfo): void {
  if (key.state === 'Disabled') throw new AwsKmsError('DisabledException', `${key.arn} is disabled.`);
  if (key.state === 'PendingDeletion') throw new AwsKmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  if (key.state === 'PendingImport') throw new AwsKmsError('KMSInvalidStateException', `${key.arn} is pending import.`);
}

/** The key a request is about (for fault matching), without failing on bad input. */
export function keyOfRequest(op: KmsOperation, body: Body, store: FakeKeyStore): string | undefined {
  const ref = body['KeyId'];
  if (typeof ref === 'string') return store.resolve(ref)?.keyId;
  const blob = body['CiphertextBlob'];
  if (op === 'Decrypt' && typeof blob === 'string') return store.blobKeyId(Buffer.from(blob, 'base64'));
  return undefined;
}

/** Runs one action; throws AwsKmsError for every failure AWS reports. */
export function execute(op: KmsOperation, body: Body, store: FakeKeyStore): Record<string, unknown> {
  if (op === 'Encrypt') {
    const key = resolveOrThrow(store, keyIdField(body, true) ?? '');
    const plaintext = blobField(body, 'Plaintext', 'plaintext', 4096);
    const context = contextField(body);
    checkUsable(key);
    const blob = store.encrypt(key.keyId, plaintext, context);
    return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }
  if (op === 'GenerateDataKey') {
    const key = resolveOrThrow(store, keyIdField(body, true) ?? '');
    const n = body['NumberOfBytes'];
    const spec = body['KeySpec'];
    let length: number;
    if (n !== undefined && spec !== undefined) throw validation('numberOfBytes', 'Specify either KeySpec or NumberOfBytes, not both');
    if (typeof n === 'number') {
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw validation('numberOfBytes', 'Member must have value between 1 and 1024');
      length = n;
    } else if (spec === 'AES_256' || spec === 'AES_128') length = spec === 'AES_256' ? 32 : 16;
    else throw validation('keySpec', 'Member must satisfy enum value set: [AES_256, AES_128]');
    const context = contextField(body);
    checkUsable(key);
    const plaintext = randomBytes(length);
    const blob = store.encrypt(key.keyId, plaintext, context);
    return { CiphertextBlob: blob.toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: key.arn };
  }
  // Decrypt
  const blob = blobField(body, 'CiphertextBlob', 'ciphertextBlob', 6144);
  const wanted = keyIdField(body, false);
  const context = contextField(body);
  const wantedKey = wanted === undefined ? undefined : resolveOrThrow(store, wanted);
  const blobKeyId = store.blobKeyId(blob);
  if (blobKeyId === undefined) throw new AwsKmsError('InvalidCiphertextException', '');
  if (wantedKey !== undefined && wantedKey.keyId !== blobKeyId) {
    throw new AwsKmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
  }
  const key = wantedKey ?? resolveOrThrow(store, blobKeyId);
  checkUsable(key);
  const out = store.decrypt(blob, context);
  if (!out.ok) throw new AwsKmsError('InvalidCiphertextException', '');
  return { KeyId: out.key.arn, Plaintext: out.plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
}
