import { randomBytes } from 'node:crypto';
import { encodeEncryptedDeks } from '@tsp/tsp-protocol';

/**
 * The encoding of a leased EDEK with everything fixed by its lease (config id, lease id, ELK),
 * made ONCE per lease by the protobuf library, and the offsets of the two per-DEK fields
 * (the 48 bytes of ciphertext || tag, the 12-byte IV). A wrap copies the template and writes
 * those fields in place: byte for byte what encodeEncryptedDeks gives, without re-encoding.
 */
export interface EdekTemplate {
  readonly bytes: Buffer;
  readonly dataOffset: number;
  readonly ivOffset: number;
}

export const LEASED_DATA_LENGTH = 48;
export const LEASED_IV_LENGTH = 12;

export function leasedEdekTemplate(kmsConfigId: number, leasedKeyId: number, elk: Uint8Array): EdekTemplate {
  // Random markers locate the fields; retried in the (astronomically unlikely) case that a
  // marker also occurs elsewhere in the encoding.
  for (;;) {
    const data = randomBytes(LEASED_DATA_LENGTH);
    const iv = randomBytes(LEASED_IV_LENGTH);
    const bytes = Buffer.from(
      encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId, leasedKeyId, leasedKeyIv: iv, encryptedLeasedKeyData: elk }]),
    );
    const dataOffset = bytes.indexOf(data);
    const ivOffset = bytes.indexOf(iv);
    if (dataOffset >= 0 && ivOffset >= 0 && bytes.lastIndexOf(data) === dataOffset && bytes.lastIndexOf(iv) === ivOffset) {
      bytes.fill(0, dataOffset, dataOffset + LEASED_DATA_LENGTH);
      bytes.fill(0, ivOffset, ivOffset + LEASED_IV_LENGTH);
      return { bytes, dataOffset, ivOffset };
    }
  }
}
