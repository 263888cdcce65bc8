import * as protobuf from 'protobufjs/light';
import { ErrorCode } from './error-codes';
import { TspError } from './tsp-error';

/**
 * The EDEK protobuf of tsp-api.md (package ironcorelabs.proto.cmk, proto3), built by reflection
 * from a fixed descriptor: no generated code and no hand-written varints.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    ironcorelabs: {
      nested: {
        proto: {
          nested: {
            cmk: {
              nested: {
                EncryptedDek: {
                  fields: {
                    encryptedDekData: { type: 'bytes', id: 1 },
                    kmsConfigId: { type: 'int32', id: 2 },
                    leasedKeyId: { type: 'int32', id: 3 },
                    leasedKeyIv: { type: 'bytes', id: 4 },
                    encryptedLeasedKeyData: { type: 'bytes', id: 5 },
                    tenantId: { type: 'string', id: 6 },
                  },
                },
                EncryptedDeks: { fields: { encryptedDeks: { rule: 'repeated', type: 'EncryptedDek', id: 1 } } },
                AzureKeyVersionAndData: {
                  fields: { encryptedDekData: { type: 'bytes', id: 1 }, keyVersion: { type: 'string', id: 2 } },
                },
              },
            },
          },
        },
      },
    },
  },
});

const EncryptedDeksType = root.lookupType('ironcorelabs.proto.cmk.EncryptedDeks');
const AzureKeyVersionAndDataType = root.lookupType('ironcorelabs.proto.cmk.AzureKeyVersionAndData');

export interface EncryptedDek {
  /** Provider-specific wrapped DEK, or AES-256-GCM(LK, DEK) when leased. */
  encryptedDekData: Uint8Array;
  kmsConfigId: number;
  /** 0 = not leased. */
  leasedKeyId: number;
  /** 12-byte GCM IV when leased, empty otherwise. */
  leasedKeyIv: Uint8Array;
  /** Encoded EncryptedDeks holding the KMS-wrapped leased key, empty when not leased. */
  encryptedLeasedKeyData: Uint8Array;
  /** Set by the Rust client on EDEKs it sends back; tolerated and ignored. */
  tenantId: string;
}

export interface AzureKeyVersionAndData {
  encryptedDekData: Uint8Array;
  keyVersion: string;
}

const EMPTY = new Uint8Array(0);

export const INVALID_EDEK_MESSAGE = "Provided EDEK didn't contain IronCore EDEKs";

/** Encodes EncryptedDeks. Fields equal to their proto3 default are omitted on the wire. */
export function encodeEncryptedDeks(deks: readonly Partial<EncryptedDek>[]): Uint8Array {
  return EncryptedDeksType.encode({ encryptedDeks: deks }).finish();
}

/**
 * Decodes EncryptedDeks.
 * Precondition: the bytes parse and hold at least one entry with a non-zero kmsConfigId and
 * non-empty encryptedDekData; otherwise error 203 with the message the clients expect.
 */
export function decodeEncryptedDeks(bytes: Uint8Array): EncryptedDek[] {
  let decoded: { encryptedDeks?: Partial<EncryptedDek>[] };
  try {
    decoded = EncryptedDeksType.decode(bytes) as unknown as { encryptedDeks?: Partial<EncryptedDek>[] };
  } catch {
    throw new TspError(ErrorCode.InvalidProvidedEdek, INVALID_EDEK_MESSAGE);
  }
  const list = decoded.encryptedDeks ?? [];
  if (list.length === 0) throw new TspError(ErrorCode.InvalidProvidedEdek, INVALID_EDEK_MESSAGE);
  return list.map((d) => {
    const dek: EncryptedDek = {
      encryptedDekData: d.encryptedDekData ?? EMPTY,
      kmsConfigId: d.kmsConfigId ?? 0,
      leasedKeyId: d.leasedKeyId ?? 0,
      leasedKeyIv: d.leasedKeyIv ?? EMPTY,
      encryptedLeasedKeyData: d.encryptedLeasedKeyData ?? EMPTY,
      tenantId: d.tenantId ?? '',
    };
    if (dek.kmsConfigId === 0 || dek.encryptedDekData.length === 0) {
      throw new TspError(ErrorCode.InvalidProvidedEdek, INVALID_EDEK_MESSAGE);
    }
    return dek;
  });
}

/**
 * Decodes a base64 EDEK as sent by clients (standard alphabet; padding optional on input).
 * Precondition: the string is base64 (Node's decoder would silently skip other characters).
 */
export function decodeEdekBase64(edek: string): EncryptedDek[] {
  if (!BASE64_RE.test(edek)) throw new TspError(ErrorCode.InvalidProvidedEdek, INVALID_EDEK_MESSAGE);
  return decodeEncryptedDeks(Buffer.from(edek, 'base64'));
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function encodeAzureKeyVersionAndData(v: AzureKeyVersionAndData): Uint8Array {
  return AzureKeyVersionAndDataType.encode(v).finish();
}

export function decodeAzureKeyVersionAndData(bytes: Uint8Array): AzureKeyVersionAndData {
  const d = AzureKeyVersionAndDataType.decode(bytes) as unknown as Partial<AzureKeyVersionAndData>;
  return { encryptedDekData: d.encryptedDekData ?? EMPTY, keyVersion: d.keyVersion ?? '' };
}
