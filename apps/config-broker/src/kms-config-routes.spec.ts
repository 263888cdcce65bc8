import type { KmsConfigView } from '@tsp/broker-store';
import { BrokerHarness, startBroker } from './testing/broker-harness';

const AWS_SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const NEW_SECRET = 'rotated-Secret-Access-Key-0123456789';

function awsConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'aws',
    keyPath: { keyID: '1234abcd-12ab-34cd-56ef-1234567890ab', region: 'eu-central-1' },
    credentials: { accessKeyId: AWS_KEY_ID, secretAccessKey: AWS_SECRET },
    endpoint: 'http://127.0.0.1:4566',
    ...extra,
  };
}

describe('KMS config routes', () => {
  let b: BrokerHarness;
  beforeEach(async () => {
    b = await startBroker();
    await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A' });
  });
  afterEach(async () => {
    await b.close();
  });

  it('creates, lists, reads, patches and deletes; credentials are write-only', async () => {
    const created = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ primary: true }));
    expect(created.status).toBe(201);
    const c = created.body as KmsConfigView;
    expect(c).toMatchObject({ tenantId: 'tenant-a', type: 'aws', active: true, primary: true, leasingAllowed: false, hasCredentials: true, endpoint: 'http://127.0.0.1:4566' });
    expect(c).not.toHaveProperty('credentials');
    expect(Number.isInteger(c.id) && c.id > 0).toBe(true);

    const list = (await b.admin('GET', '/api/v1/tenants/tenant-a/kms-configs')).body as { kmsConfigs: KmsConfigView[] };
    expect(list.kmsConfigs.map((k) => k.id)).toEqual([c.id]);
    const one = await b.admin('GET', `/api/v1/kms-configs/${c.id}`);
    expect(one.body).toMatchObject({ id: c.id, keyPath: { region: 'eu-central-1' } });

    const patched = await b.admin('PATCH', `/api/v1/kms-configs/${c.id}`, { credentials: { accessKeyId: AWS_KEY_ID, secretAccessKey: NEW_SECRET }, leasingLifetimeSeconds: 600 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: c.id, leasingLifetimeSeconds: 600, hasCredentials: true });
    // The new credentials are stored (the document reads them) but never answered.
    const [doc] = await b.repo.tenantsForDocument(await saServingAll(b));
    expect(doc?.kmsConfigs[0]?.credentials).toEqual({ accessKeyId: AWS_KEY_ID, secretAccessKey: NEW_SECRET });

    expect((await b.admin('DELETE', `/api/v1/kms-configs/${c.id}`)).status).toBe(204);
    expect((await b.admin('GET', `/api/v1/kms-configs/${c.id}`)).status).toBe(404);
    expect((await b.admin('DELETE', `/api/v1/kms-configs/${c.id}`)).status).toBe(404);

    const text = b.transcript();
    for (const secret of [AWS_SECRET, AWS_KEY_ID, NEW_SECRET]) expect(text).not.toContain(secret);
  });

  it('a new primary demotes the old one', async () => {
    const first = (await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ primary: true }))).body as KmsConfigView;
    const second = (await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ primary: true }))).body as KmsConfigView;
    expect(second.id).not.toBe(first.id);
    expect((await b.admin('GET', `/api/v1/kms-configs/${first.id}`)).body).toMatchObject({ primary: false });
    expect((await b.admin('GET', `/api/v1/kms-configs/${second.id}`)).body).toMatchObject({ primary: true });
  });

  it.each(['keyPath', 'type'])('refuses to change the immutable %s with 400 naming it', async (field) => {
    const c = (await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig())).body as KmsConfigView;
    const res = await b.admin('PATCH', `/api/v1/kms-configs/${c.id}`, { [field]: field === 'type' ? 'gcp' : { keyID: 'other', region: 'us-east-1' } });
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(new RegExp(`^${field} is immutable`));
    expect((await b.admin('GET', `/api/v1/kms-configs/${c.id}`)).body).toMatchObject({ type: 'aws', keyPath: { keyID: '1234abcd-12ab-34cd-56ef-1234567890ab' } });
  });

  it('allows leasing only when the tenant has a logging config (400 naming leasingAllowed)', async () => {
    const refused = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ leasingAllowed: true }));
    expect(refused.status).toBe(400);
    expect((refused.body as { message: string }).message).toMatch(/^leasingAllowed requires/);
    const c = (await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig())).body as KmsConfigView;
    const patchRefused = await b.admin('PATCH', `/api/v1/kms-configs/${c.id}`, { leasingAllowed: true });
    expect(patchRefused.status).toBe(400);
    expect((patchRefused.body as { message: string }).message).toContain('leasingAllowed');

    expect((await b.admin('PUT', '/api/v1/tenants/tenant-a/logging-config', { sinks: [{ id: 'out', type: 'stdout' }] })).status).toBe(200);
    const allowed = await b.admin('PATCH', `/api/v1/kms-configs/${c.id}`, { leasingAllowed: true });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ leasingAllowed: true });
    const created = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ leasingAllowed: true }));
    expect(created.status).toBe(201);

    // The logging config cannot go while leasing depends on it.
    const del = await b.admin('DELETE', '/api/v1/tenants/tenant-a/logging-config');
    expect(del.status).toBe(409);
    expect((del.body as { message: string }).message).toMatch(/^leasingAllowed is set on KMS config/);
  });

  it('keeps a primary config active', async () => {
    const bad = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ primary: true, active: false }));
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/^primary requires active/);
    const c = (await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', awsConfig({ primary: true }))).body as KmsConfigView;
    const off = await b.admin('PATCH', `/api/v1/kms-configs/${c.id}`, { active: false });
    expect(off.status).toBe(400);
    expect((off.body as { message: string }).message).toMatch(/^active cannot be false/);
    expect((await b.admin('PATCH', `/api/v1/kms-configs/${c.id}`, { primary: false, active: false })).status).toBe(200);
  });

  it.each([
    [{ type: 'vault', keyPath: { a: 1 }, credentials: {} }, 'type must be one of'],
    [{ type: 'aws', credentials: {} }, 'keyPath is required'],
    [{ type: 'aws', keyPath: { a: 1 } }, 'credentials is required'],
    [{ type: 'aws', keyPath: {}, credentials: {} }, 'keyPath must NOT have fewer than 1 properties'],
    [{ type: 'aws', keyPath: { a: 1 }, credentials: {}, leasingLifetimeSeconds: 0 }, 'leasingLifetimeSeconds must be >= 1'],
    [{ type: 'aws', keyPath: { a: 1 }, credentials: {}, endpoint: 'ftp://x' }, 'endpoint must match pattern'],
    [{ type: 'aws', keyPath: { a: 1 }, credentials: {}, tenantId: 'other' }, "unknown property 'tenantId'"],
  ])('refuses an invalid KMS config %j with 400 naming the field', async (body, expected) => {
    const res = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', body);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain(expected);
  });

  it('answers 404 for an unknown tenant or id and 400 for a malformed id', async () => {
    expect((await b.admin('POST', '/api/v1/tenants/nope/kms-configs', awsConfig())).status).toBe(404);
    expect((await b.admin('GET', '/api/v1/tenants/nope/kms-configs')).status).toBe(404);
    expect((await b.admin('GET', '/api/v1/kms-configs/999')).status).toBe(404);
    expect((await b.admin('GET', '/api/v1/kms-configs/9999999999')).status).toBe(404);
    expect((await b.admin('PATCH', '/api/v1/kms-configs/999', { active: true })).status).toBe(404);
    const bad = await b.admin('GET', '/api/v1/kms-configs/abc');
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toContain('id must match pattern');
  });
});

async function saServingAll(b: BrokerHarness): Promise<string> {
  const res = await b.admin('POST', '/api/v1/service-accounts', { id: 'sa-all', name: 'all', tenantTags: [] });
  expect(res.status).toBe(201);
  return 'sa-all';
}
