import { crc32c } from './crc32c';
import { GoogleErrorReply, invalidArgument, keyDisabled, notFound } from './google-errors';
import type { KeyFailure, KeyStore } from './key-store';

/**
 * The Encrypt and Decrypt methods of google.cloud.kms.v1.KeyManagementService over REST
 * (proto3 JSON): bytes are base64, int64 wrappers (the CRC32C fields) are decimal strings,
 * enums are numbers when the client asks `$alt=json;enum-encoding=int` (the Node client does).
 * Checksums work as in the real service: a request checksum that does not match its field is
 * INVALID_ARGUMENT; a matching one is acknowledged by `verified…Crc32c: true`; the response
 * carries `ciphertextCrc32c` / `plaintextCrc32c` of the returned bytes for the client to check.
 */
export type KmsMethod = 'encrypt' | 'decrypt';
export type Reply = { httpStatus: 200; body: Record<string, unknown> } | GoogleErrorReply;
/** How the fake corrupts an otherwise good answer. */
export type Corruption = 'bad-crc' | 'unverified-crc' | undefined;

const MAX_PLAINTEXT = 64 * 1024;
const MAX_CIPHERTEXT = 64 * 1024 + 800;
const AAD_MAX = 64 * 1024;
const SOFTWARE = 1;

function bytesField(body: Record<string, unknown>, field: string, required: boolean): Buffer | string {
  const v = body[field];
  if (v === undefined || v === null || v === '') return required ? `${field} is required.` : Buffer.alloc(0);
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return `Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed.`;
  return Buffer.from(v, 'base64');
}

/** Undefined when absent; NaN when not an int64 in proto3 JSON (a string or a number). */
function int64Field(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return typeof v === 'string' && /^-?\d{1,20}$/.test(v) ? Number(v) : NaN;
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Checks an optional CRC32C field against its data; returns [verified, error]. */
function checkCrc(body: Record<string, unknown>, crcField: string, dataField: string, data: Buffer): [boolean, string | undefined] {
  const crc = int64Field(body, crcField);
  if (crc === undefined) return [false, undefined];
  if (Number.isNaN(crc)) return [false, `Invalid value at '${crcField}' (TYPE_INT64).`];
  if (crc !== crc32c(data)) return [false, `The checksum in field ${snake(crcField)} did not match the data in field ${snake(dataField)}.`];
  return [true, undefined];
}

function failure(f: KeyFailure, key: string): GoogleErrorReply {
  if (f.failure === 'not-found') return notFound(key);
  if (f.failure === 'disabled') return keyDisabled(f.versionName);
  return invalidArgument('Decryption failed: the ciphertext is invalid.');
}

function crcString(data: Buffer, corruption: Corruption): string {
  const c = crc32c(data);
  return String(corruption === 'bad-crc' ? (c + 1) % 0x100000000 : c);
}

export function handleKmsCall(store: KeyStore, method: KmsMethod, key: string, body: Record<string, unknown>, enumInt: boolean, corruption: Corruption): Reply {
  const aad = bytesField(body, 'additionalAuthenticatedData', false);
  if (typeof aad === 'string') return invalidArgument(aad);
  if (aad.length > AAD_MAX) return invalidArgument('The additional_authenticated_data must be at most 65536 bytes.');
  const [aadOk, aadErr] = checkCrc(body, 'additionalAuthenticatedDataCrc32c', 'additionalAuthenticatedData', aad);
  if (aadErr !== undefined) return invalidArgument(aadErr);
  const protectionLevel = enumInt ? SOFTWARE : 'SOFTWARE';
  const unverified = corruption === 'unverified-crc';

  if (method === 'encrypt') {
    const plaintext = bytesField(body, 'plaintext', true);
    if (typeof plaintext === 'string') return invalidArgument(plaintext);
    if (plaintext.length > MAX_PLAINTEXT) return invalidArgument('The plaintext must be at most 65536 bytes.');
    const [ptOk, ptErr] = checkCrc(body, 'plaintextCrc32c', 'plaintext', plaintext);
    if (ptErr !== undefined) return invalidArgument(ptErr);
    const r = store.encrypt(key, plaintext, aad);
    if ('failure' in r) return failure(r, key);
    return {
      httpStatus: 200,
      body: {
        name: r.versionName,
        ciphertext: r.ciphertext.toString('base64'),
        ciphertextCrc32c: crcString(r.ciphertext, corruption),
        verifiedPlaintextCrc32c: ptOk && !unverified,
        verifiedAdditionalAuthenticatedDataCrc32c: aadOk && !unverified,
        protectionLevel,
      },
    };
  }

  const ciphertext = bytesField(body, 'ciphertext', true);
  if (typeof ciphertext === 'string') return invalidArgument(ciphertext);
  if (ciphertext.length > MAX_CIPHERTEXT) return invalidArgument('The ciphertext is too large.');
  const [, ctErr] = checkCrc(body, 'ciphertextCrc32c', 'ciphertext', ciphertext);
  if (ctErr !== undefined) return invalidArgument(ctErr);
  const r = store.decrypt(key, ciphertext, aad);
  if ('failure' in r) return failure(r, key);
  return {
    httpStatus: 200,
    body: { plaintext: r.plaintext.toString('base64'), plaintextCrc32c: crcString(r.plaintext, corruption), usedPrimary: r.usedPrimary, protectionLevel },
  };
}
