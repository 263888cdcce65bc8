import { decodeEncryptedDeks, ErrorCode, TspError } from '@tsp/tsp-protocol';
import { interceptedLocalFactory, localConfig, newKeyService, registryOf, tenantConfig } from './key-service.test-helpers';

/** Redundant wrap: primary first, then every other active config; unwrap survives one KMS down. */
function tenants(leasedPrimary = false) {
  return [
    {
      ...tenantConfig('r', [
        localConfig(1, { primary: true, ...(leasedPrimary ? { leasing: { enabled: true } } : {}) }),
        localConfig(2),
        localConfig(3, { active: false }),
        localConfig(4),
      ]),
      redundantWrap: true,
    },
    tenantConfig('plain', [localConfig(9, { primary: true }), localConfig(10)]),
  ];
}

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

test.each([false, true])('the EDEK holds the primary first, then every other active config (leased primary: %s)', async (leased) => {
  const s = newKeyService(tenants(leased));
  const w = await s.keys.wrap('r');
  const ids = decodeEncryptedDeks(w.edek).map((e) => e.kmsConfigId);
  expect(ids[0]).toBe(1);
  expect(ids.slice(1).sort()).toEqual([2, 4]);
  expect((await s.keys.unwrap('r', b64(w.edek))).dek.equals(w.dek)).toBe(true);
  // A tenant without the setting gets one entry.
  expect(decodeEncryptedDeks((await s.keys.wrap('plain')).edek)).toHaveLength(1);
});

test("unwrap falls through to another entry when the primary's KMS is down", async () => {
  const list = tenants();
  const s = newKeyService(list);
  const w = await s.keys.wrap('r');
  const dek = Buffer.from(w.dek);
  const primaryDown = interceptedLocalFactory({
    unwrap: (inner, data, ctx) =>
      ctx.kmsConfigId === 1 ? Promise.reject(new TspError(ErrorCode.KmsUnreachable, 'primary KMS down')) : inner.unwrap(data, ctx),
  });
  s.keys.setRegistry(registryOf(list, 2, undefined, primaryDown));
  const before = s.kms.failed;
  expect((await s.keys.unwrap('r', b64(w.edek))).dek.equals(dek)).toBe(true);
  // The primary was tried (twice: 208 is retried once) and failed; another entry answered.
  expect(s.kms.failed).toBe(before + 1);
  // Without redundancy the same outage fails the unwrap.
  const single = await s.keys.wrap('plain');
  const plainDown = interceptedLocalFactory({
    unwrap: (inner, data, ctx) => (ctx.kmsConfigId === 9 ? Promise.reject(new TspError(ErrorCode.KmsUnreachable, 'down')) : inner.unwrap(data, ctx)),
  });
  s.keys.setRegistry(registryOf(list, 3, undefined, plainDown));
  await expect(Promise.resolve().then(() => s.keys.unwrap('plain', b64(single.edek)))).rejects.toMatchObject({ code: 208 });
});

test('a secondary that fails at wrap is left out; a failing primary fails the wrap', async () => {
  const list = tenants();
  const s = newKeyService(list);
  const secondaryDown = interceptedLocalFactory({
    wrap: (inner, dek, ctx) => (ctx.kmsConfigId === 4 ? Promise.reject(new TspError(ErrorCode.KmsThrottled, 'slow down')) : inner.wrap(dek, ctx)),
  });
  s.keys.setRegistry(registryOf(list, 2, undefined, secondaryDown));
  const w = await s.keys.wrap('r');
  expect(decodeEncryptedDeks(w.edek).map((e) => e.kmsConfigId)).toEqual([1, 2]);
  const primaryDown = interceptedLocalFactory({
    wrap: (inner, dek, ctx) => (ctx.kmsConfigId === 1 ? Promise.reject(new TspError(ErrorCode.KmsUnreachable, 'down')) : inner.wrap(dek, ctx)),
  });
  s.keys.setRegistry(registryOf(list, 3, undefined, primaryDown));
  await expect(Promise.resolve().then(() => s.keys.wrap('r'))).rejects.toMatchObject({ code: 208 });
});

test('batch wrap and rekey to a redundant tenant produce redundant EDEKs', async () => {
  const s = newKeyService(tenants(true));
  const batch = await s.keys.batchWrap('r', ['a', 'b']);
  for (const w of batch.keys.values()) expect(decodeEncryptedDeks(w.edek)).toHaveLength(3);
  const plain = await s.keys.wrap('plain');
  const moved = await s.keys.rekey('plain', b64(plain.edek), 'r');
  expect(decodeEncryptedDeks(moved.edek)).toHaveLength(3);
  expect((await s.keys.unwrap('r', b64(moved.edek))).dek.equals(plain.dek)).toBe(true);
});
