import type { Tenant } from '@tsp/broker-store';
import { BrokerHarness, startBroker } from './testing/broker-harness';

describe('tenant routes', () => {
  let b: BrokerHarness;
  beforeEach(async () => {
    b = await startBroker();
  });
  afterEach(async () => {
    await b.close();
  });

  it('creates, reads, lists, patches and deletes a tenant', async () => {
    const created = await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'Tenant A', tags: ['eu', 'prod'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'tenant-a', name: 'Tenant A', tags: ['eu', 'prod'], archived: false, leasingRequired: false });
    expect(Object.keys(created.body as object).sort()).toEqual(['archived', 'createdAt', 'id', 'leasingRequired', 'name', 'tags', 'updatedAt']);

    expect((await b.admin('GET', '/api/v1/tenants/tenant-a')).body).toMatchObject({ id: 'tenant-a', name: 'Tenant A' });
    await b.admin('POST', '/api/v1/tenants', { id: 'tenant-b', name: 'Tenant B', tags: ['us'] });

    const all = (await b.admin('GET', '/api/v1/tenants')).body as { tenants: Tenant[] };
    expect(all.tenants.map((t) => t.id).sort()).toEqual(['tenant-a', 'tenant-b']);
    const eu = (await b.admin('GET', '/api/v1/tenants?tag=eu')).body as { tenants: Tenant[] };
    expect(eu.tenants.map((t) => t.id)).toEqual(['tenant-a']);

    const patched = await b.admin('PATCH', '/api/v1/tenants/tenant-b', { archived: true, name: 'B' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'tenant-b', name: 'B', archived: true, tags: ['us'] });
    const active = (await b.admin('GET', '/api/v1/tenants')).body as { tenants: Tenant[] };
    expect(active.tenants.map((t) => t.id)).toEqual(['tenant-a']);
    const withArchived = (await b.admin('GET', '/api/v1/tenants?includeArchived=true')).body as { tenants: Tenant[] };
    expect(withArchived.tenants).toHaveLength(2);

    const del = await b.admin('DELETE', '/api/v1/tenants/tenant-a');
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const gone = await b.admin('GET', '/api/v1/tenants/tenant-a');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ code: 'not-found', message: "tenant 'tenant-a' does not exist" });
  });

  it('answers 409 for a duplicate id and 404 for PATCH/DELETE of an unknown tenant', async () => {
    await b.admin('POST', '/api/v1/tenants', { id: 't1', name: 'T' });
    const dup = await b.admin('POST', '/api/v1/tenants', { id: 't1', name: 'T again' });
    expect(dup.status).toBe(409);
    expect((dup.body as { code: string }).code).toBe('conflict');
    expect((await b.admin('PATCH', '/api/v1/tenants/nope', { name: 'x' })).status).toBe(404);
    expect((await b.admin('DELETE', '/api/v1/tenants/nope')).status).toBe(404);
  });

  it.each([
    [{ name: 'no id' }, 'id is required'],
    [{ id: 't', name: 'T', colour: 'red' }, "unknown property 'colour'"],
    [{ id: 't', name: 7 }, 'name must be string'],
    [{ id: 'bad id/with slash', name: 'T' }, 'id must match pattern'],
    [{ id: 't', name: 'T', tags: ['ok', 3] }, 'tags.1 must be string'],
    [{ id: 't', name: 'T', archived: 'yes' }, 'archived must be boolean'],
  ])('refuses an invalid new tenant %j with 400 naming the field', async (body, expected) => {
    const res = await b.admin('POST', '/api/v1/tenants', body);
    expect(res.status).toBe(400);
    expect((res.body as { code: string }).code).toBe('invalid-request');
    expect((res.body as { message: string }).message).toContain(expected);
  });

  it('never echoes a refused value in the error', async () => {
    const res = await b.admin('POST', '/api/v1/tenants', { id: 't', name: 'T', tags: ['Secret-Looking-Value!!'] });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('Secret-Looking-Value');
  });

  it('refuses an empty or unknown-field PATCH, a bad query and invalid JSON', async () => {
    await b.admin('POST', '/api/v1/tenants', { id: 't1', name: 'T' });
    const empty = await b.admin('PATCH', '/api/v1/tenants/t1', {});
    expect(empty.status).toBe(400);
    const unknown = await b.admin('PATCH', '/api/v1/tenants/t1', { id: 't2' });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { message: string }).message).toContain("unknown property 'id'");
    const query = await b.admin('GET', '/api/v1/tenants?includeArchived=maybe');
    expect(query.status).toBe(400);
    expect((query.body as { message: string }).message).toContain('includeArchived');
    const badQuery = await b.admin('GET', '/api/v1/tenants?colour=red');
    expect(badQuery.status).toBe(400);
    expect((badQuery.body as { message: string }).message).toContain('colour');
    const json = await b.raw('POST', '/api/v1/tenants', { body: '{"id":', headers: { authorization: `Bearer ${b.adminToken}`, 'content-type': 'application/json' } });
    expect(json.status).toBe(400);
    expect(json.body).toEqual({ code: 'invalid-request', message: 'Request body is not valid JSON' });
  });

  it('requires the admin bearer token on every admin route', async () => {
    const attempts: [string, string, unknown][] = [
      ['GET', '/api/v1/tenants', undefined],
      ['POST', '/api/v1/tenants', { id: 't', name: 'T' }],
      ['GET', '/api/v1/service-accounts', undefined],
      ['PUT', '/api/v1/tenants/t/logging-config', { sinks: [{ id: 's', type: 'stdout' }] }],
      ['GET', '/api/v1/kms-configs/1', undefined],
    ];
    for (const [method, path, body] of attempts) {
      for (const authorization of ['', 'Bearer wrong-token-of-some-length', `bearer ${b.adminToken}`, b.adminToken, `Bearer ${b.adminToken}x`]) {
        const res = await b.admin(method, path, body, { authorization });
        expect(res.status).toBe(401);
        expect((res.body as { code: string }).code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    // Nothing was created by the refused requests.
    expect(await b.repo.listTenants({ includeArchived: true })).toEqual([]);
    expect(b.transcript()).not.toContain(b.adminToken);
  });

  it('answers unknown routes with 404 {code, message}', async () => {
    const res = await b.admin('GET', '/api/v2/tenants');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not-found', message: 'Unknown route GET /api/v2/tenants' });
  });
});
