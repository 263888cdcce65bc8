import Ajv from 'ajv';
import { randomBytes } from 'node:crypto';
import type { BatchResult, RuntimeKmsConfig, UnwrapResult, WrapResult } from '@tsp/key-service';
import { responseSchemas, TspError } from '@tsp/tsp-protocol';
import { batchUnwrapJson, batchWrapJson } from './answer-encoding';

const config = { id: 3 } as RuntimeKmsConfig;
const ajv = new Ajv({ strict: false });
const ids = ['plain', 'quote"and\\backslash', 'line\nbreak', 'ünïcödé', '\u2028', '12', '__proto__'];

test('batchWrapJson is valid JSON of the documented shape, with every id and DEK intact', () => {
  const deks = ids.map(() => randomBytes(32));
  const r: BatchResult<WrapResult> = {
    keys: new Map(ids.map((id, i) => [id, { dek: Buffer.from(deks[i]), edek: randomBytes(90), config, leased: true }])),
    failures: new Map([['bad "one"', new TspError(205, 'KMS said "no"')]]),
  };
  const edeks = new Map([...r.keys].map(([id, w]) => [id, Buffer.from(w.edek).toString('base64')]));
  const parsed = JSON.parse(batchWrapJson(r)) as { keys: Record<string, { dek: string; edek: string }>; failures: Record<string, unknown> };
  expect(ajv.validate(responseSchemas.batchWrap, parsed)).toBe(true);
  expect(Object.keys(parsed.keys).sort()).toEqual([...ids].sort());
  ids.forEach((id, i) => {
    const entry = Object.getOwnPropertyDescriptor(parsed.keys, id)?.value as { dek: string; edek: string };
    expect(entry.dek).toBe(deks[i].toString('base64'));
    expect(entry.edek).toBe(edeks.get(id));
  });
  expect(parsed.failures).toEqual({ 'bad "one"': { code: 205, message: 'KMS said "no"' } });
  // The plaintext DEKs of the result were wiped once encoded.
  for (const w of r.keys.values()) expect(w.dek.equals(Buffer.alloc(32))).toBe(true);
});

test('batchUnwrapJson is valid JSON of the documented shape; empty maps stay objects', () => {
  const dek = randomBytes(32);
  const r: BatchResult<UnwrapResult> = { keys: new Map([['a"b', { dek: Buffer.from(dek), config, leased: false }]]), failures: new Map() };
  const parsed = JSON.parse(batchUnwrapJson(r)) as unknown;
  expect(ajv.validate(responseSchemas.batchUnwrap, parsed)).toBe(true);
  expect(parsed).toEqual({ keys: { 'a"b': { dek: dek.toString('base64') } }, failures: {} });
  expect(JSON.parse(batchUnwrapJson({ keys: new Map(), failures: new Map() }))).toEqual({ keys: {}, failures: {} });
});
