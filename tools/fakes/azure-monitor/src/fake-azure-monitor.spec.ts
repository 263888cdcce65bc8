import { request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { FakeAzureMonitor, MONITOR_SCOPE, startFakeAzureMonitor } from './index';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(fake: FakeAzureMonitor, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${fake.url}${path}`, { method, ca: fake.caCert, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('fake Azure Monitor Logs Ingestion API', () => {
  let fake: FakeAzureMonitor;
  let token = '';
  const ingestPath = (rule = fake.ruleId, stream = fake.streamName, version = '2023-01-01') =>
    `/dataCollectionRules/${rule}/streams/${stream}${version === '' ? '' : `?api-version=${version}`}`;
  const ingest = (body: Buffer | string, headers: Record<string, string> = {}, path = ingestPath()) =>
    call(fake, 'POST', path, body, { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers });

  beforeAll(async () => {
    fake = await startFakeAzureMonitor();
    const got = await call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, form({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: MONITOR_SCOPE }), FORM);
    expect(got.status).toBe(200);
    token = (JSON.parse(got.body) as { access_token: string }).access_token;
  });
  afterEach(() => {
    fake.clearFaults();
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('grants tokens only for the monitor scope and the right secret', async () => {
    const base = { grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret };
    const vault = await call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, form({ ...base, scope: 'https://vault.azure.net/.default' }), FORM);
    expect(vault.status).toBe(400);
    expect(JSON.parse(vault.body)).toMatchObject({ error: 'invalid_scope' });
    const wrong = await call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, form({ ...base, client_secret: 'nope', scope: MONITOR_SCOPE }), FORM);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });

  it('accepts a gzipped JSON array with a valid token: 204, rows stored', async () => {
    const got = await ingest(gzipSync(JSON.stringify([{ A: 1 }, { A: 2 }])));
    expect(got.status).toBe(204);
    expect(got.body).toBe('');
    expect(got.headers['x-ms-request-id']).toBeDefined();
    expect(fake.received()).toEqual([{ A: 1 }, { A: 2 }]);
    expect(fake.calls()[0]).toMatchObject({ status: 204, contentEncoding: 'gzip', rows: 2 });
  });

  it('refuses a missing or foreign token with 401 InvalidAuthenticationToken', async () => {
    const none = await call(fake, 'POST', ingestPath(), '[]', { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toEqual({ error: { code: 'InvalidAuthenticationToken', message: expect.any(String) } });
    const other = await startFakeAzureMonitor({ tenantGuid: fake.tenantGuid, clientId: fake.clientId, clientSecret: fake.clientSecret });
    const got = await call(other, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, form({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: MONITOR_SCOPE }), FORM);
    await other.close();
    const foreign = await ingest('[]', { authorization: `Bearer ${(JSON.parse(got.body) as { access_token: string }).access_token}`, 'content-encoding': 'identity' });
    expect(foreign.status).toBe(401);
    const forged = await ingest('[]', { authorization: `Bearer ${token.slice(0, -4)}AAAA`, 'content-encoding': 'identity' });
    expect(forged.status).toBe(401);
    expect(fake.received()).toEqual([]);
  });

  it('answers the documented errors: 413, 400s, 404s', async () => {
    const big = JSON.stringify([{ blob: 'x'.repeat(1_100_000) }]);
    const tooBig = await ingest(gzipSync(big));
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body)).toEqual({ error: { code: 'ContentLengthLimitExceeded', message: expect.stringMatching(/^Maximum allowed content length: 1048576 bytes/) } });
    expect((await ingest(big, { 'content-encoding': 'identity' })).status).toBe(413);
    const deflate = await ingest('[]', { 'content-encoding': 'deflate' });
    expect([deflate.status, JSON.parse(deflate.body).error.code]).toEqual([400, 'InvalidContentEncoding']);
    const notArray = await ingest(gzipSync('{"A":1}'));
    expect([notArray.status, JSON.parse(notArray.body).error.code]).toEqual([400, 'InvalidPayload']);
    const notGzip = await ingest('[{}]');
    expect([notGzip.status, JSON.parse(notGzip.body).error.code]).toEqual([400, 'InvalidPayload']);
    const noVersion = await ingest(gzipSync('[]'), {}, ingestPath(fake.ruleId, fake.streamName, ''));
    expect([noVersion.status, JSON.parse(noVersion.body).error.code]).toEqual([400, 'InvalidApiVersion']);
    const rule = await ingest(gzipSync('[]'), {}, ingestPath(`dcr-${'f'.repeat(32)}`));
    expect([rule.status, JSON.parse(rule.body).error.code]).toEqual([404, 'NotFound']);
    const stream = await ingest(gzipSync('[]'), {}, ingestPath(fake.ruleId, 'Custom-Nope_CL'));
    expect([stream.status, JSON.parse(stream.body).error.code]).toEqual([404, 'InvalidStream']);
    expect(fake.received()).toEqual([]);
  });

  it('injects faults per request through the control API: throttle with Retry-After, skip and times', async () => {
    const bad = await call(fake, 'POST', '/_fake/faults', JSON.stringify({ fault: 'explode' }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).problems[0]).toMatch(/^fault must be one of/);
    expect((await call(fake, 'POST', '/_fake/faults', JSON.stringify({ fault: 'throttle', retryAfterSeconds: 7, skip: 1, times: 1 }))).status).toBe(201);
    const body = gzipSync('[{"A":1}]');
    const answers = [await ingest(body), await ingest(body), await ingest(body)];
    expect(answers.map((a) => a.status)).toEqual([204, 429, 204]);
    expect(answers[1].headers['retry-after']).toBe('7');
    expect(JSON.parse(answers[1].body).error.code).toBe('TooManyRequests');
    expect(fake.received()).toHaveLength(2);
    const state = JSON.parse((await call(fake, 'GET', '/_fake/state')).body) as { counts: { ingest: number; accepted: number } };
    expect(state.counts).toMatchObject({ ingest: 3, accepted: 2 });
  });

  it('delays requests by latencyMs and can make the token endpoint fail', async () => {
    fake.addFault({ latencyMs: 300, times: 1 });
    const started = Date.now();
    expect((await ingest(gzipSync('[]'))).status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    fake.addFault({ ops: ['token'], fault: 'unavailable', times: 1 });
    const t = await call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, form({ grant_type: 'client_credentials' }), FORM);
    expect(t.status).toBe(503);
    expect(JSON.parse(t.body)).toMatchObject({ error: 'temporarily_unavailable' });
  });
});
