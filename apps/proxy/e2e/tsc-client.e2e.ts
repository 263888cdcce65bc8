import { readFileSync } from 'node:fs';
import {
  DocumentMetadata,
  EventMetadata,
  FieldMetadata,
  TenantSecurityClient,
  TenantSecurityException,
  UserEvent,
  CustomSecurityEvent,
} from '@ironcorelabs/tenant-security-nodejs';
import type { TenantConfig } from '@tsp/config-crypto';
import { localKmsFactory } from '@tsp/kms-local';
import { encodeEncryptedDeks } from '@tsp/tsp-protocol';
import { ProxyProcess, startProxy, TestEnvironment } from '@tsp/test-support';

/**
 * The proxy as a user meets it: the built app in a child process, driven only through the
 * unmodified Node Tenant Security Client.
 */
let env: TestEnvironment;
let proxy: ProxyProcess;
let client: TenantSecurityClient;

const meta = (tenantId: string): DocumentMetadata => new DocumentMetadata(tenantId, 'e2e-service', 'PII');
const doc = (): Record<string, Buffer> => ({ field1: Buffer.from('first secret field'), field2: Buffer.from('second') });

async function errorOf(p: Promise<unknown>): Promise<TenantSecurityException> {
  try {
    await p;
  } catch (e) {
    return e as TenantSecurityException;
  }
  throw new Error('expected the call to fail');
}

/** An EDEK made directly with one of a tenant's local configs (as some other proxy would have). */
async function edekFor(tenantId: string, configId: number): Promise<string> {
  const { tenants } = JSON.parse(readFileSync(env.env.tenantsFile, 'utf8')) as { tenants: TenantConfig[] };
  const config = tenants.find((t) => t.tenantId === tenantId)?.kmsConfigs.find((c) => c.id === configId);
  if (config === undefined) throw new Error('no such config');
  const provider = localKmsFactory.create(config);
  const data = await provider.wrap(Buffer.alloc(32, 7), { tenantId, kmsConfigId: configId, signal: AbortSignal.timeout(1000) });
  return Buffer.from(encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId: configId }])).toString('base64');
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  proxy = await startProxy({ serviceAccountFile: env.env.serviceAccountFile });
  client = new TenantSecurityClient(proxy.url, env.apiKey);
});

afterAll(async () => {
  await proxy?.stop();
  env?.remove();
});

describe.each(['demo-tenant-1', 'demo-tenant-2'])('documents of %s', (tenantId) => {
  test('encrypt then decrypt returns the plaintext', async () => {
    const enc = await client.encryptDocument(doc(), meta(tenantId));
    expect(enc.encryptedDocument.field1.equals(Buffer.from('first secret field'))).toBe(false);
    const dec = await client.decryptDocument(enc, meta(tenantId));
    expect(dec.plaintextDocument.field1.toString()).toBe('first secret field');
    expect(dec.plaintextDocument.field2.toString()).toBe('second');
  });

  test('batch encrypt, then batch decrypt with one bad EDEK fails only that document', async () => {
    const batch = await client.encryptDocumentBatch({ a: doc(), b: doc(), c: doc() }, meta(tenantId));
    expect(batch.hasFailures).toBe(false);
    expect(Object.keys(batch.successes).sort()).toEqual(['a', 'b', 'c']);
    const toDecrypt = { ...batch.successes, c: { ...batch.successes.c, edek: Buffer.from('not an edek').toString('base64') } };
    const dec = await client.decryptDocumentBatch(toDecrypt, meta(tenantId));
    expect(Object.keys(dec.successes).sort()).toEqual(['a', 'b']);
    expect(dec.successes.a.plaintextDocument.field1.toString()).toBe('first secret field');
    expect(Object.keys(dec.failures)).toEqual(['c']);
    expect(dec.failures.c.errorCode).toBe(203);
  });
});

test('rekey moves a document key to another tenant, and the document decrypts there', async () => {
  const enc = await client.encryptDocument(doc(), meta('demo-tenant-1'));
  const newEdek = await client.rekeyEdek(enc.edek, 'demo-tenant-2', meta('demo-tenant-1'));
  expect(newEdek).not.toBe(enc.edek);
  const dec = await client.decryptDocument({ ...enc, edek: newEdek }, meta('demo-tenant-2'));
  expect(dec.plaintextDocument.field1.toString()).toBe('first secret field');
  // The new EDEK belongs to tenant 2 only.
  const err = await errorOf(client.decryptDocument({ ...enc, edek: newEdek }, meta('demo-tenant-1')));
  expect(err.errorCode).toBe(203);
  expect(err.message).toContain('is not assigned to tenant');
});

test('deterministic encryption is repeatable and decrypts; search terms come from the secret', async () => {
  const det = client.deterministicClient;
  const fmeta = new FieldMetadata('demo-tenant-1', 'e2e-service');
  const field = { plaintextField: Buffer.from('123-45-6789'), secretPath: 'ssn', derivationPath: 'users.ssn' };
  const a = await det.encryptField(field, fmeta);
  const b = await det.encryptField(field, fmeta);
  expect(a.encryptedField.equals(b.encryptedField)).toBe(true);
  expect((await det.decryptField(a, fmeta)).plaintextField.toString()).toBe('123-45-6789');
  // Another derivation path gives another ciphertext; another tenant too.
  const other = await det.encryptField({ ...field, derivationPath: 'other.path' }, fmeta);
  expect(other.encryptedField.equals(a.encryptedField)).toBe(false);
  const t2 = await det.encryptField(field, new FieldMetadata('demo-tenant-2', 'e2e-service'));
  expect(t2.encryptedField.equals(a.encryptedField)).toBe(false);
  const terms = await det.generateSearchTerms(field, fmeta);
  expect(terms).toHaveLength(1);
  expect(terms[0].encryptedField.equals(a.encryptedField)).toBe(true);
});

test('deterministic encryption for a path without a secret fails with 401 and says why', async () => {
  const det = client.deterministicClient;
  const field = { plaintextField: Buffer.from('x'), secretPath: 'no-such-path', derivationPath: 'd' };
  const err = await errorOf(det.encryptField(field, new FieldMetadata('demo-tenant-1', 'e2e')));
  // The Node client (4.1.3) has no constant for 401 and reports any unknown code as 100.
  expect(err.errorCode).toBe(100);
  expect(err.httpResponseCode).toBe(500);
  // On the wire the proxy sends the documented code and the reason.
  const res = await fetch(`${proxy.url}/api/1/key/derive-with-secret-path`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `cmk ${env.apiKey}` },
    body: JSON.stringify({ tenantId: 'demo-tenant-1', iclFields: { requestingId: 'e2e' }, paths: { 'no-such-path': ['d'] }, derivationType: 'sha512', secretType: 'deterministic' }),
  });
  const body = (await res.json()) as { code: number; message: string };
  expect(body.code).toBe(401);
  expect(body.message).toContain('cannot create tenant secrets');
});

test('security events are accepted and reach the event stream with their fields', async () => {
  await client.logSecurityEvent(UserEvent.LOGIN, new EventMetadata('demo-tenant-1', 'user-7', 'PII', 1700000000000, '127.0.0.1', 'obj-1', 'req-1', { field1: 'v' }));
  await client.logSecurityEvent(new CustomSecurityEvent('MY_EVENT'), new EventMetadata('some-unknown-tenant', 'user-8'));
  await proxy.waitFor(() => proxy.events().some((e) => (e.iclFields as { requestingId?: string }).requestingId === 'user-8'));
  const login = proxy.events().find((e) => (e.iclFields as { event: string }).event === 'USER_LOGIN');
  expect(login).toMatchObject({
    tenantId: 'demo-tenant-1',
    timestamp: '2023-11-14T22:13:20.000Z',
    iclFields: { event: 'USER_LOGIN', requestingId: 'user-7', dataLabel: 'PII', sourceIp: '127.0.0.1', objectId: 'obj-1', requestId: 'req-1' },
    customFields: { field1: 'v' },
  });
  const custom = proxy.events().find((e) => (e.iclFields as { event: string }).event === 'CUSTOM_MY_EVENT');
  expect(custom?.tenantId).toBe('some-unknown-tenant');
  // Key operations produce proxy events too.
  expect(proxy.events().some((e) => (e.iclFields as { event: string }).event === 'KMS_WRAP_KEY')).toBe(true);
});

test('an unknown tenant gets 201', async () => {
  const err = await errorOf(client.encryptDocument(doc(), meta('no-such-tenant')));
  expect(err.errorCode).toBe(201);
  expect(err.message).toContain('No configurations available for the provided tenant');
});

test('a bogus EDEK gets 203', async () => {
  const enc = await client.encryptDocument(doc(), meta('demo-tenant-1'));
  const err = await errorOf(client.decryptDocument({ ...enc, edek: Buffer.from('garbage').toString('base64') }, meta('demo-tenant-1')));
  expect(err.errorCode).toBe(203);
  expect(err.message).toBe("Provided EDEK didn't contain IronCore EDEKs");
});

test('a wrong API key gets 101', async () => {
  const bad = new TenantSecurityClient(proxy.url, Buffer.from('not the right key!').toString('base64'));
  const err = await errorOf(bad.encryptDocument(doc(), meta('demo-tenant-1')));
  expect(err.errorCode).toBe(101);
});

describe('demo-tenant-combo (one active non-primary config, one disabled, no primary)', () => {
  test('encrypt fails with 200: no primary config', async () => {
    const err = await errorOf(client.encryptDocument(doc(), meta('demo-tenant-combo')));
    expect(err.errorCode).toBe(200);
  });

  test('an EDEK of the active non-primary config unwraps', async () => {
    const edek = await edekFor('demo-tenant-combo', 301);
    const enc = await client.encryptDocumentWithExistingKey({ plaintextDocument: doc(), edek }, meta('demo-tenant-combo'));
    const dec = await client.decryptDocument(enc, meta('demo-tenant-combo'));
    expect(dec.plaintextDocument.field2.toString()).toBe('second');
  });

  test('an EDEK of the disabled config gets 202', async () => {
    const edek = await edekFor('demo-tenant-combo', 302);
    const err = await errorOf(client.encryptDocumentWithExistingKey({ plaintextDocument: doc(), edek }, meta('demo-tenant-combo')));
    expect(err.errorCode).toBe(202);
  });
});
