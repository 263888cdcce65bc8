import { randomBytes, randomInt } from 'node:crypto';
import { decodeEncryptedDeks, encodeEncryptedDeks } from '@tsp/tsp-protocol';
import { leasedEdekTemplate } from './edek-template';

test('a filled template is byte for byte the library encoding of the same EDEK', () => {
  for (let i = 0; i < 500; i++) {
    const kmsConfigId = randomInt(1, 2 ** 31 - 1);
    const leasedKeyId = randomInt(1, 2 ** 31 - 1);
    const elk = randomBytes(randomInt(1, 400));
    const tpl = leasedEdekTemplate(kmsConfigId, leasedKeyId, elk);
    const data = randomBytes(48);
    const iv = randomBytes(12);
    const filled = Buffer.from(tpl.bytes);
    data.copy(filled, tpl.dataOffset);
    iv.copy(filled, tpl.ivOffset);
    const expected = Buffer.from(encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId, leasedKeyId, leasedKeyIv: iv, encryptedLeasedKeyData: elk }]));
    expect(filled.equals(expected)).toBe(true);
    const [entry] = decodeEncryptedDeks(filled);
    expect(Buffer.from(entry.leasedKeyIv).equals(iv)).toBe(true);
  }
});

test('the template itself carries no marker bytes in the per-DEK fields', () => {
  const tpl = leasedEdekTemplate(7, 9, randomBytes(100));
  expect(tpl.bytes.subarray(tpl.dataOffset, tpl.dataOffset + 48).equals(Buffer.alloc(48))).toBe(true);
  expect(tpl.bytes.subarray(tpl.ivOffset, tpl.ivOffset + 12).equals(Buffer.alloc(12))).toBe(true);
});
