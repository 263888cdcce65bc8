/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Google Cloud KMS puts in
 * its requests and responses. Table-driven, one byte a step: the inputs are at most 64 KiB.
 * The fake keeps its own copy so that it checks the provider instead of sharing its bugs.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
