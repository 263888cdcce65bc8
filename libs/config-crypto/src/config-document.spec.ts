import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import {
  buildConfigDocument,
  DocumentEnvelope,
  DocumentError,
  DocumentPayload,
  OpenedTenant,
  openTenants,
  verifyConfigDocument,
} from './config-document';
import { Sealer } from './seal';
import { TenantConfig } from './tenant-config';

const SA_ID = 'sa-1';
const broker = generateKeyPairSync('ed25519');
const sa = generateKeyPairSync('x25519');

function tenant(tenantId: string, id: number): TenantConfig {
  return {
    tenantId,
    kmsConfigs: [
      { id, type: 'local', active: true, primary: true, keyPath: { name: `k${id}` }, credentials: { kek: Buffer.alloc(32, id).toString('base64') } },
    ],
    secrets: [],
  };
}

const tenants = [tenant('t1', 1), tenant('t2', 2), tenant('t3', 3)];

function build(overrides: Partial<Parameters<typeof buildConfigDocument>[0]> = {}): DocumentEnvelope {
  return buildConfigDocument({
    serviceAccountId: SA_ID,
    serviceAccountPublicKey: sa.publicKey,
    brokerSigningKey: broker.privateKey,
    sequence: 7,
    tenants,
    issuedAt: new Date('2026-01-02T03:04:05.000Z'),
    ...overrides,
  });
}

function verify(env: DocumentEnvelope | string, key: KeyObject = broker.publicKey, saId = SA_ID): DocumentPayload {
  return verifyConfigDocument(typeof env === 'string' ? env : JSON.stringify(env), key, saId);
}

function byId(opened: OpenedTenant[]): Map<string, OpenedTenant> {
  return new Map(opened.map((o) => [o.tenantId, o]));
}

function problemsOf(o: OpenedTenant | undefined): string[] {
  if (o === undefined) throw new Error('tenant missing');
  if (o.ok) throw new Error(`tenant ${o.tenantId} opened but should not have`);
  return o.problems;
}

/** Re-signs a payload object as the broker would (to test checks behind the signature). */
function signed(payload: unknown, key: KeyObject = broker.privateKey, version: unknown = 1): string {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  const signature = sign(null, Buffer.concat([Buffer.from('tsp-config-document/v1\n'), bytes]), key);
  return JSON.stringify({ format: 'tsp-config-document', version, signingKeyId: 'x', payload: bytes.toString('base64'), signature: signature.toString('base64') });
}

function expectDocumentError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DocumentError);
  expect((caught as Error).message).toMatch(message);
}

describe('config document: build, verify, open', () => {
  it('opens every tenant to the exact config that was sealed', () => {
    const payload = verify(build());
    expect(payload.serviceAccountId).toBe(SA_ID);
    expect(payload.sequence).toBe(7);
    expect(payload.issuedAt).toBe('2026-01-02T03:04:05.000Z');
    const opened = openTenants(payload, sa.privateKey);
    expect(opened.map((o) => o.tenantId).sort()).toEqual(['t1', 't2', 't3']);
    for (const o of opened) {
      expect(o.ok).toBe(true);
      if (o.ok) expect(o.config).toEqual(tenants.find((t) => t.tenantId === o.tenantId));
    }
  });

  it('the payload carries no plaintext credentials', () => {
    const env = build();
    const payloadText = Buffer.from(env.payload, 'base64').toString('utf8');
    for (const t of tenants) expect(payloadText).not.toContain(String(t.kmsConfigs[0].credentials['kek']));
  });

  it('fingerprints are stable for the same config and differ between configs', () => {
    const a = byId(openTenants(verify(build()), sa.privateKey));
    const b = byId(openTenants(verify(build()), sa.privateKey));
    const fp = (o: OpenedTenant | undefined) => (o !== undefined && o.ok ? o.fingerprint : 'none');
    expect(fp(a.get('t1'))).toBe(fp(b.get('t1')));
    expect(fp(a.get('t1'))).not.toBe(fp(a.get('t2')));
  });

  it('refuses a tenant that appears twice', () => {
    expect(() => build({ tenants: [tenant('t1', 1), tenant('t1', 2)] })).toThrow(/appears twice/);
  });
});

describe('config document: precondition "signature verifies with the broker key"', () => {
  it('rejects a tampered signature', () => {
    const env = build();
    const sig = Buffer.from(env.signature, 'base64');
    sig[5] ^= 0x01;
    expectDocumentError(() => verify({ ...env, signature: sig.toString('base64') }), /signature does not verify/);
  });

  it('rejects a tampered payload', () => {
    const env = build();
    const original = Buffer.from(env.payload, 'base64').toString('utf8');
    const text = original.replace('"sequence":7', '"sequence":8');
    expect(text).not.toBe(original);
    expectDocumentError(() => verify({ ...env, payload: Buffer.from(text).toString('base64') }), /signature does not verify/);
  });

  it('rejects a document signed by another key', () => {
    const other = generateKeyPairSync('ed25519');
    expectDocumentError(() => verify(build(), other.publicKey), /signature does not verify/);
    expectDocumentError(() => verify(build({ brokerSigningKey: other.privateKey })), /signature does not verify/);
  });

  it('rejects a signature that is not base64 of an Ed25519 signature', () => {
    expectDocumentError(() => verify({ ...build(), signature: 'AAAA' }), /signature does not verify/);
  });
});

describe('config document: envelope and payload shape', () => {
  it('rejects text that is not JSON', () => {
    expectDocumentError(() => verify('{not json'), /not valid JSON/);
  });

  it('rejects JSON that is not an envelope', () => {
    expectDocumentError(() => verify('null'), /format must be/);
    expectDocumentError(() => verify('[]'), /format must be/);
    expectDocumentError(() => verify(JSON.stringify({ ...build(), format: 'other' })), /format must be/);
  });

  it('rejects an unsupported envelope version', () => {
    expectDocumentError(() => verify(JSON.stringify({ ...build(), version: 2 })), /version 2 is not supported/);
  });

  it('rejects an envelope without payload or signature', () => {
    const { signature: _s, ...noSig } = build();
    expectDocumentError(() => verify(JSON.stringify(noSig)), /lacks payload or signature/);
  });

  it('rejects a signed payload with an unsupported version', () => {
    const payload = { ...verify(build()), version: 2 };
    expectDocumentError(() => verify(signed(payload)), /payload version is not supported/);
  });

  it('rejects a signed payload that is not JSON', () => {
    const bytes = Buffer.from('{oops', 'utf8');
    const signature = sign(null, Buffer.concat([Buffer.from('tsp-config-document/v1\n'), bytes]), broker.privateKey);
    const text = JSON.stringify({ format: 'tsp-config-document', version: 1, signingKeyId: 'x', payload: bytes.toString('base64'), signature: signature.toString('base64') });
    expectDocumentError(() => verify(text), /payload is not valid JSON/);
  });

  it('rejects a signed payload without sequence or tenants', () => {
    const { tenants: _t, ...noTenants } = verify(build());
    expectDocumentError(() => verify(signed(noTenants)), /lacks sequence or tenants/);
    expectDocumentError(() => verify(signed({ ...verify(build()), sequence: 'x' })), /lacks sequence or tenants/);
  });

  it('rejects a document for another service account', () => {
    expectDocumentError(() => verify(build(), broker.publicKey, 'sa-2'), /for service account 'sa-1', not 'sa-2'/);
  });
});

describe('openTenants: one bad tenant affects no other', () => {
  it('a part sealed for another recipient fails cleanly and the others open', () => {
    const payload = verify(build());
    const other = generateKeyPairSync('x25519');
    const foreign = new Sealer(other.publicKey, SA_ID).seal('t2', Buffer.from(JSON.stringify(tenant('t2', 2))));
    const opened = byId(openTenants({ ...payload, tenants: { ...payload.tenants, t2: foreign } }, sa.privateKey));
    expect(problemsOf(opened.get('t2'))).toEqual(['sealed part failed authentication (wrong recipient key or tampered data)']);
    expect(opened.get('t1')?.ok).toBe(true);
    expect(opened.get('t3')?.ok).toBe(true);
  });

  it('opening with the wrong private key fails every tenant cleanly without throwing', () => {
    const other = generateKeyPairSync('x25519');
    const opened = openTenants(verify(build()), other.privateKey);
    expect(opened).toHaveLength(3);
    for (const o of opened) expect(problemsOf(o)[0]).toMatch(/failed authentication/);
  });

  it('a sealed part moved to another tenant id fails', () => {
    const payload = verify(build());
    const opened = byId(openTenants({ ...payload, tenants: { ...payload.tenants, t3: payload.tenants['t1'] } }, sa.privateKey));
    expect(problemsOf(opened.get('t3'))[0]).toMatch(/failed authentication/);
    expect(opened.get('t1')?.ok).toBe(true);
  });

  it('a sealed part moved to another service account fails', () => {
    const payload = verify(build());
    const opened = openTenants({ ...payload, serviceAccountId: 'sa-2' }, sa.privateKey);
    for (const o of opened) expect(problemsOf(o)[0]).toMatch(/failed authentication/);
  });

  it('a tampered ciphertext fails', () => {
    const payload = verify(build());
    const ct = Buffer.from(payload.tenants['t1'].ct, 'base64');
    ct[0] ^= 0x80;
    const opened = byId(openTenants({ ...payload, tenants: { ...payload.tenants, t1: { ...payload.tenants['t1'], ct: ct.toString('base64') } } }, sa.privateKey));
    expect(problemsOf(opened.get('t1'))[0]).toMatch(/failed authentication/);
    expect(opened.get('t2')?.ok).toBe(true);
  });

  it('a truncated ct or iv fails cleanly', () => {
    const payload = verify(build());
    const part = payload.tenants['t1'];
    const shortCt = { ...part, ct: Buffer.from(part.ct, 'base64').subarray(0, 10).toString('base64') };
    const shortIv = { ...part, iv: Buffer.from(part.iv, 'base64').subarray(0, 8).toString('base64') };
    const chopped = { ...part, ct: Buffer.from(part.ct, 'base64').subarray(0, 40).toString('base64') };
    const opened = byId(openTenants({ ...payload, tenants: { ...payload.tenants, t1: shortCt, t2: shortIv, t3: chopped } }, sa.privateKey));
    expect(problemsOf(opened.get('t1'))).toEqual(['sealed part is truncated']);
    expect(problemsOf(opened.get('t2'))).toEqual(['sealed part is truncated']);
    expect(problemsOf(opened.get('t3'))[0]).toMatch(/failed authentication/);
  });

  it('a part whose plaintext is not a valid config is reported with the problems and others open', () => {
    const payload = verify(build());
    const sealer = new Sealer(sa.publicKey, SA_ID);
    const notJson = sealer.seal('t1', Buffer.from('{nope'));
    const mismatch = sealer.seal('t2', Buffer.from(JSON.stringify(tenant('t9', 2))));
    const opened = byId(openTenants({ ...payload, sealing: sealer.header, tenants: { t1: notJson, t2: mismatch, t3: sealer.seal('t3', Buffer.from(JSON.stringify(tenant('t3', 3)))) } }, sa.privateKey));
    expect(problemsOf(opened.get('t1'))).toEqual(['sealed config is not valid JSON']);
    expect(problemsOf(opened.get('t2'))).toEqual(['tenantId does not match the tenant it was sealed for']);
    expect(opened.get('t3')?.ok).toBe(true);
  });

  it('problems never contain the credentials of the tenant', () => {
    const payload = verify(build());
    const sealer = new Sealer(sa.publicKey, SA_ID);
    const bad = { ...tenant('t1', 1), extra: true };
    const opened = openTenants({ ...payload, sealing: sealer.header, tenants: { t1: sealer.seal('t1', Buffer.from(JSON.stringify(bad))) } }, sa.privateKey);
    const text = problemsOf(opened[0]).join('\n');
    expect(text).toContain("unknown property 'extra'");
    expect(text).not.toContain(String(bad.kmsConfigs[0].credentials['kek']));
  });
});
