import { LoopbackAnswer, requestLoopback } from '@tsp/fake-support';
import { FakeElasticsearch, startFakeElasticsearch } from './fake-server';

const KEY = { id: 'kid', key: 'fake-es-key-secret' };
const AUTH = `ApiKey ${Buffer.from(`${KEY.id}:${KEY.key}`).toString('base64')}`;

const call = (url: string, method: string, path: string, body: string, headers: Record<string, string> = {}): Promise<LoopbackAnswer> =>
  requestLoopback(`${url}${path}`, { method, body, headers });

const ndjson = { 'content-type': 'application/x-ndjson', authorization: AUTH };
const bulk = (...lines: object[]): string => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

describe('fake elasticsearch _bulk', () => {
  let fake: FakeElasticsearch;
  beforeAll(async () => {
    fake = await startFakeElasticsearch({ apiKeys: [KEY] });
  });
  afterEach(() => fake.clearFaults());
  afterAll(() => fake.stop());

  it('stores create/index items and answers 201, then 409 version_conflict for a second create', async () => {
    const body = bulk({ create: { _index: 'a', _id: '1' } }, { x: 1 }, { index: { _id: '2' } }, { y: 2 });
    const first = await call(fake.url, 'POST', '/a/_bulk', body, ndjson);
    expect(first.status).toBe(200);
    expect(first.headers['x-elastic-product']).toBe('Elasticsearch');
    const parsed = JSON.parse(first.body) as { errors: boolean; items: Record<string, { status: number; result: string; _index: string }>[] };
    expect(parsed.errors).toBe(false);
    expect(parsed.items.map((i) => Object.keys(i)[0])).toEqual(['create', 'index']);
    expect(parsed.items[0].create).toMatchObject({ _index: 'a', status: 201, result: 'created' });
    const again = JSON.parse((await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'a', _id: '1' } }, { x: 9 }), ndjson)).body) as {
      errors: boolean;
      items: { create: { status: number; error: { type: string; reason: string } } }[];
    };
    expect(again.errors).toBe(true);
    expect(again.items[0].create.status).toBe(409);
    expect(again.items[0].create.error.type).toBe('version_conflict_engine_exception');
    expect(fake.documents('a').map((d) => [d.id, d.source])).toEqual([['1', { x: 1 }], ['2', { y: 2 }]]);
  });

  it('is strict about NDJSON: trailing newline, action lines, index, content type', async () => {
    const noNewline = await call(fake.url, 'POST', '/_bulk', JSON.stringify({ create: { _index: 'a' } }) + '\n{}', ndjson);
    expect(noNewline.status).toBe(400);
    expect(JSON.parse(noNewline.body)).toMatchObject({ error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 });
    expect((await call(fake.url, 'POST', '/_bulk', bulk({ upsert: {} }, {}), ndjson)).status).toBe(400);
    expect((await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'a', colour: 1 } }, {}), ndjson)).status).toBe(400);
    expect(JSON.parse((await call(fake.url, 'POST', '/_bulk', bulk({ create: {} }, {}), ndjson)).body)).toMatchObject({
      error: { type: 'action_request_validation_exception' },
    });
    expect((await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'a' } }, {}), { authorization: AUTH })).status).toBe(406);
    expect((await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'a' } }, {}), { ...ndjson, 'content-type': 'text/plain' })).status).toBe(406);
    expect((await call(fake.url, 'POST', '/_bulk?colour=red', bulk({ create: { _index: 'a' } }, {}), ndjson)).status).toBe(400);
    expect((await call(fake.url, 'GET', '/_bulk', '', ndjson)).status).toBe(405);
    const notObject = JSON.parse((await call(fake.url, 'POST', '/_bulk', `${JSON.stringify({ create: { _index: 'b', _id: 'n' } })}\n[1,2]\n`, ndjson)).body) as {
      items: { create: { status: number; error: { type: string } } }[];
    };
    expect(notObject.items[0].create).toMatchObject({ status: 400, error: { type: 'document_parsing_exception' } });
  });

  it('answers 401 security_exception with WWW-Authenticate for missing or wrong credentials', async () => {
    const missing = await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'a' } }, {}), { 'content-type': 'application/x-ndjson' });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toContain('ApiKey');
    expect(JSON.parse(missing.body)).toMatchObject({ error: { type: 'security_exception', reason: 'missing authentication credentials for REST request [/_bulk]' }, status: 401 });
    const wrong = await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'a' } }, {}), { ...ndjson, authorization: `ApiKey ${Buffer.from('kid:nope').toString('base64')}` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('nope');
  });

  it('injects faults per request (times) and per item, through the control API too', async () => {
    const control = await call(fake.url, 'POST', '/_fake/faults', JSON.stringify({ kind: 'throttle', retryAfterSeconds: 4, times: 1 }), { 'content-type': 'application/json' });
    expect(control.status).toBe(200);
    const throttled = await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'c' } }, {}), ndjson);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('4');
    expect(JSON.parse(throttled.body)).toMatchObject({ error: { type: 'es_rejected_execution_exception' }, status: 429 });
    expect((await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'c' } }, {}), ndjson)).status).toBe(200);
    expect((await call(fake.url, 'POST', '/_fake/faults', JSON.stringify({ kind: 'nope' }), {})).status).toBe(400);

    fake.addFault({ kind: 'items', reject: [0], retry: [2] });
    const items = JSON.parse(
      (await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'd', _id: '0' } }, {}, { create: { _index: 'd', _id: '1' } }, {}, { create: { _index: 'd', _id: '2' } }, {}), ndjson)).body,
    ) as { items: { create: { status: number } }[] };
    expect(items.items.map((i) => i.create.status)).toEqual([400, 201, 429]);
    expect(fake.documents('d').map((d) => d.id)).toEqual(['1']);
    fake.clearFaults();
    fake.addFault({ kind: 'unavailable', times: 1 });
    expect((await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'c' } }, {}), ndjson)).status).toBe(503);
    fake.addFault({ kind: 'drop', times: 1 });
    await expect(call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'c' } }, {}), ndjson)).rejects.toThrow();
  });

  it('delays answers by the injected latency', async () => {
    fake.setLatency(200);
    const started = Date.now();
    await call(fake.url, 'POST', '/_bulk', bulk({ create: { _index: 'e' } }, {}), ndjson);
    fake.setLatency(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('generates an API key when none is configured', async () => {
    const other = await startFakeElasticsearch();
    try {
      expect(other.encodedApiKey).toBeDefined();
      const ok = await call(other.url, 'POST', '/_bulk', bulk({ create: { _index: 'g' } }, { a: 1 }), { 'content-type': 'application/json', authorization: `ApiKey ${other.encodedApiKey ?? ''}` });
      expect(ok.status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
