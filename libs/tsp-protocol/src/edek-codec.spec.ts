import {
  decodeAzureKeyVersionAndData,
  decodeEdekBase64,
  decodeEncryptedDeks,
  encodeAzureKeyVersionAndData,
  encodeEncryptedDeks,
  EncryptedDek,
  INVALID_EDEK_MESSAGE,
} from './edek-codec';
import { ErrorCode } from './error-codes';
import { TspError } from './tsp-error';

/** Runs `fn` and returns the TspError it throws (fails the test when it throws anything else). */
function tspErrorOf(fn: () => unknown): TspError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TspError) return e;
    throw new Error(`expected a TspError, got ${String(e)}`);
  }
  throw new Error('expected a TspError, nothing was thrown');
}

function expectInvalidEdek(fn: () => unknown): void {
  const e = tspErrorOf(fn);
  expect(e.code).toBe(ErrorCode.InvalidProvidedEdek);
  expect(e.code).toBe(203);
  expect(e.message).toBe("Provided EDEK didn't contain IronCore EDEKs");
}

const leased: EncryptedDek = {
  encryptedDekData: Uint8Array.from([1, 2, 3, 4, 5]),
  kmsConfigId: 2147483647,
  leasedKeyId: 123456,
  leasedKeyIv: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  encryptedLeasedKeyData: Uint8Array.from([0xaa, 0xbb, 0xcc]),
  tenantId: 'tenant-from-rust',
};

function plain(d: EncryptedDek) {
  return {
    encryptedDekData: Buffer.from(d.encryptedDekData).toString('hex'),
    kmsConfigId: d.kmsConfigId,
    leasedKeyId: d.leasedKeyId,
    leasedKeyIv: Buffer.from(d.leasedKeyIv).toString('hex'),
    encryptedLeasedKeyData: Buffer.from(d.encryptedLeasedKeyData).toString('hex'),
    tenantId: d.tenantId,
  };
}

describe('EDEK codec: round trip', () => {
  it('round-trips every field of a leased entry, including the tolerated tenantId (field 6)', () => {
    const back = decodeEncryptedDeks(encodeEncryptedDeks([leased]));
    expect(back).toHaveLength(1);
    expect(plain(back[0])).toEqual(plain(leased));
  });

  it('round-trips several entries in order, filling proto3 defaults of an unleased entry', () => {
    const unleased = { encryptedDekData: Uint8Array.from([9, 9]), kmsConfigId: 7 };
    const back = decodeEncryptedDeks(encodeEncryptedDeks([unleased, leased]));
    expect(back.map(plain)).toEqual([
      { encryptedDekData: '0909', kmsConfigId: 7, leasedKeyId: 0, leasedKeyIv: '', encryptedLeasedKeyData: '', tenantId: '' },
      plain(leased),
    ]);
  });

  it('decodeEdekBase64 accepts standard base64 with and without padding', () => {
    const bytes = Buffer.from(encodeEncryptedDeks([{ encryptedDekData: Uint8Array.from([1]), kmsConfigId: 1 }]));
    const padded = bytes.toString('base64');
    expect(padded.endsWith('=')).toBe(true);
    expect(decodeEdekBase64(padded)[0].kmsConfigId).toBe(1);
    expect(decodeEdekBase64(padded.replace(/=+$/, ''))[0].kmsConfigId).toBe(1);
  });
});

describe('EDEK codec: wire compatibility with the proto3 format', () => {
  // Written by hand from the proto3 wire format (tag = field << 3 | wire type):
  //   0a 20                          EncryptedDeks.encryptedDeks (1, LEN), 32 bytes
  //     0a 03 010203                 encryptedDekData (1, LEN) = 01 02 03
  //     10 ac02                      kmsConfigId (2, VARINT) = 300
  //     18 07                        leasedKeyId (3, VARINT) = 7
  //     22 0c 000102030405060708090a0b  leasedKeyIv (4, LEN), 12 bytes
  //     2a 02 aabb                   encryptedLeasedKeyData (5, LEN)
  //     32 02 7431                   tenantId (6, LEN) = "t1"
  //   0a 05                          second EncryptedDek, 5 bytes
  //     0a 01 ff                     encryptedDekData = ff
  //     10 01                        kmsConfigId = 1 (leasedKeyId 0 and empty bytes omitted)
  const expectedHex =
    '0a20' + '0a03010203' + '10ac02' + '1807' + '220c000102030405060708090a0b' + '2a02aabb' + '32027431' +
    '0a05' + '0a01ff' + '1001';
  const entries: Partial<EncryptedDek>[] = [
    {
      encryptedDekData: Uint8Array.from([1, 2, 3]),
      kmsConfigId: 300,
      leasedKeyId: 7,
      leasedKeyIv: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      encryptedLeasedKeyData: Uint8Array.from([0xaa, 0xbb]),
      tenantId: 't1',
    },
    { encryptedDekData: Uint8Array.from([0xff]), kmsConfigId: 1, leasedKeyId: 0, leasedKeyIv: new Uint8Array(0), tenantId: '' },
  ];

  it('encode produces exactly the hand-written bytes (defaults omitted)', () => {
    expect(Buffer.from(encodeEncryptedDeks(entries)).toString('hex')).toBe(expectedHex);
  });

  it('decode reads the hand-written bytes into the same fields', () => {
    const back = decodeEncryptedDeks(Buffer.from(expectedHex, 'hex'));
    expect(back.map(plain)).toEqual([
      { encryptedDekData: '010203', kmsConfigId: 300, leasedKeyId: 7, leasedKeyIv: '000102030405060708090a0b', encryptedLeasedKeyData: 'aabb', tenantId: 't1' },
      { encryptedDekData: 'ff', kmsConfigId: 1, leasedKeyId: 0, leasedKeyIv: '', encryptedLeasedKeyData: '', tenantId: '' },
    ]);
  });

  it('skips unknown fields a newer client might add', () => {
    // entry + unknown field 15 (VARINT) = 1 inside the entry
    const withUnknown = '0a07' + '0a01ff' + '1001' + '7801';
    expect(decodeEncryptedDeks(Buffer.from(withUnknown, 'hex'))[0].kmsConfigId).toBe(1);
  });
});

describe('EDEK codec: precondition "bytes parse as EncryptedDeks with at least one usable entry" (203)', () => {
  it('rejects bytes that are not protobuf', () => {
    expectInvalidEdek(() => decodeEncryptedDeks(Buffer.from('ff', 'hex')));
    expectInvalidEdek(() => decodeEncryptedDeks(Buffer.from('0a05', 'hex'))); // length past the end
    expectInvalidEdek(() => decodeEncryptedDeks(Buffer.from('not a protobuf at all', 'utf8')));
  });

  it('rejects an empty EncryptedDeks', () => {
    expectInvalidEdek(() => decodeEncryptedDeks(new Uint8Array(0)));
    expectInvalidEdek(() => decodeEncryptedDeks(encodeEncryptedDeks([])));
  });

  it('rejects an entry with kmsConfigId 0', () => {
    expectInvalidEdek(() => decodeEncryptedDeks(encodeEncryptedDeks([{ encryptedDekData: Uint8Array.from([1]), kmsConfigId: 0 }])));
  });

  it('rejects an entry with empty encryptedDekData', () => {
    expectInvalidEdek(() => decodeEncryptedDeks(encodeEncryptedDeks([{ encryptedDekData: new Uint8Array(0), kmsConfigId: 4 }])));
  });

  it('rejects a list where a later entry is unusable', () => {
    const good = { encryptedDekData: Uint8Array.from([1]), kmsConfigId: 4 };
    expectInvalidEdek(() => decodeEncryptedDeks(encodeEncryptedDeks([good, { encryptedDekData: Uint8Array.from([1]) }])));
  });

  it('rejects strings that are not base64', () => {
    const valid = Buffer.from(encodeEncryptedDeks([{ encryptedDekData: Uint8Array.from([1]), kmsConfigId: 1 }])).toString('base64');
    expectInvalidEdek(() => decodeEdekBase64('not base64!'));
    expectInvalidEdek(() => decodeEdekBase64(valid.replace(/\+|\//g, '-') + '$'));
    expectInvalidEdek(() => decodeEdekBase64(`${valid}===`));
    expectInvalidEdek(() => decodeEdekBase64(` ${valid}`));
    expectInvalidEdek(() => decodeEdekBase64(''));
  });

  it('rejects base64 of bytes that are not an EncryptedDeks', () => {
    expectInvalidEdek(() => decodeEdekBase64(Buffer.from('hello world').toString('base64')));
  });
});

describe('AzureKeyVersionAndData', () => {
  it('round-trips both fields', () => {
    const v = { encryptedDekData: Uint8Array.from([5, 6, 7, 8]), keyVersion: '0123456789abcdef' };
    const back = decodeAzureKeyVersionAndData(encodeAzureKeyVersionAndData(v));
    expect(Buffer.from(back.encryptedDekData).toString('hex')).toBe('05060708');
    expect(back.keyVersion).toBe('0123456789abcdef');
  });

  it('encodes to the proto3 wire bytes', () => {
    // 0a 02 0102 (field 1, bytes) 12 01 76 (field 2, string "v")
    const bytes = encodeAzureKeyVersionAndData({ encryptedDekData: Uint8Array.from([1, 2]), keyVersion: 'v' });
    expect(Buffer.from(bytes).toString('hex')).toBe('0a020102120176');
  });

  it('decodes empty bytes to proto3 defaults', () => {
    const back = decodeAzureKeyVersionAndData(new Uint8Array(0));
    expect(back.encryptedDekData.length).toBe(0);
    expect(back.keyVersion).toBe('');
  });
});

describe('INVALID_EDEK_MESSAGE', () => {
  it('is the exact text the clients expect', () => {
    expect(INVALID_EDEK_MESSAGE).toBe("Provided EDEK didn't contain IronCore EDEKs");
  });
});
