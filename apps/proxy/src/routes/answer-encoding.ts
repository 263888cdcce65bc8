import type { BatchResult, UnwrapResult, WrapResult } from '@tsp/key-service';

/**
 * How answers encode keys: base64 (standard alphabet, padded), plaintext DEK buffers wiped once
 * encoded. The batch answers are written as JSON text directly: document ids (chosen by the
 * caller) go through JSON.stringify; DEKs and EDEKs are base64, which never needs escaping. This
 * skips the generic serializer's per-string escape scan, the largest cost of a 100-document
 * answer after the crypto.
 */
export function b64(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
}

/** Encodes a DEK for an answer and wipes the plaintext buffer. */
export function dekOut(dek: Buffer): string {
  const s = dek.toString('base64');
  dek.fill(0);
  return s;
}

function failuresJson(failures: BatchResult<unknown>['failures']): string {
  let out = '';
  for (const [id, e] of failures) out += `${out === '' ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(e.toBody())}`;
  return `{${out}}`;
}

export function batchWrapJson(r: BatchResult<WrapResult>): string {
  let keys = '';
  for (const [id, w] of r.keys) {
    keys += `${keys === '' ? '' : ','}${JSON.stringify(id)}:{"dek":"${dekOut(w.dek)}","edek":"${b64(w.edek)}"}`;
  }
  return `{"keys":{${keys}},"failures":${failuresJson(r.failures)}}`;
}

export function batchUnwrapJson(r: BatchResult<UnwrapResult>): string {
  let keys = '';
  for (const [id, u] of r.keys) keys += `${keys === '' ? '' : ','}${JSON.stringify(id)}:{"dek":"${dekOut(u.dek)}"}`;
  return `{"keys":{${keys}},"failures":${failuresJson(r.failures)}}`;
}
