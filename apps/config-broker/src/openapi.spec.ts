import { BrokerHarness, startBroker } from './testing/broker-harness';

describe('GET /api/v1/openapi.json', () => {
  let b: BrokerHarness;
  beforeAll(async () => {
    b = await startBroker();
  });
  afterAll(async () => {
    await b.close();
  });

  it('is an OpenAPI 3.1 document describing every registered route, and nothing else', async () => {
    const res = await b.raw('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>>; servers: { url: string }[] };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'http://127.0.0.1:9500' }]);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(b.routes.length).toBeGreaterThanOrEqual(18);
    expect([...documented].sort()).toEqual([...b.routes].sort());
  });

  it('resolves every $ref and gives every admin operation the bearer scheme', async () => {
    const doc = (await b.raw('GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r.split('/').pop()!);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        const signed = path === '/api/v1/config-document' || path === '/api/v1/tenant-secrets';
        const open = ['/api/v1/openapi.json', '/live', '/api/v1/login', '/api/v1/invitations/accept'].includes(path);
        const admin = !signed && !open;
        expect(op.security ?? []).toEqual(admin ? [{ adminToken: [] }] : signed ? [{ serviceAccountSignature: [] }] : []);
        if (admin) expect(op.responses).toHaveProperty('401');
      }
    }
  });

  it('marks credentials write-only', async () => {
    const doc = (await b.raw('GET', '/api/v1/openapi.json')).body as { components: { schemas: Record<string, { properties: Record<string, { writeOnly?: boolean }> }> } };
    expect(doc.components.schemas['NewKmsConfig']?.properties['credentials']?.writeOnly).toBe(true);
    expect(doc.components.schemas['KmsConfig']?.properties).not.toHaveProperty('credentials');
  });
});
