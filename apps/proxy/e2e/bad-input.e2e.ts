import { request } from 'node:http';
import { ProxyProcess, startProxy, TestEnvironment } from '@tsp/test-support';

/** Bad input gets the documented code, a message naming the field, and never a crash. */
let env: TestEnvironment;
let proxy: ProxyProcess;

interface Answer {
  status: number;
  text: string;
  json: { code?: number; message?: string } & Record<string, unknown>;
}

/** A raw HTTP POST, so the test controls every byte and header. */
function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: 'POST', headers: { 'content-type': 'application/json', authorization: `cmk ${env.apiKey}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const base = { tenantId: 'demo-tenant-1', iclFields: { requestingId: 'bad-input-test' } };
const wrap = (b: unknown, h?: Record<string, string>): Promise<Answer> => post('/api/1/document/wrap', JSON.stringify(b), h);

beforeAll(async () => {
  env = await TestEnvironment.create();
  proxy = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_MAX_BODY_BYTES: '4096', TSP_MAX_BATCH_SIZE: '5' } });
});

afterAll(async () => {
  await proxy?.stop();
  env?.remove();
});

test('malformed JSON: 400, code 102', async () => {
  const r = await post('/api/1/document/wrap', '{"tenantId": "demo-tenant-1", ');
  expect(r.status).toBe(400);
  expect(r.json).toEqual({ code: 102, message: 'Request body is not valid JSON' });
});

test('empty body: 400, code 102', async () => {
  const r = await post('/api/1/document/wrap', '');
  expect(r.status).toBe(400);
  expect(r.json.code).toBe(102);
});

test('a wrong type is rejected, not coerced, and the message names the field', async () => {
  const r = await wrap({ ...base, tenantId: 12345 });
  expect(r.status).toBe(400);
  expect(r.json.code).toBe(102);
  expect(r.json.message).toContain('tenantId must be string');
  const custom = await wrap({ ...base, customFields: { a: 1 } });
  expect(custom.json.code).toBe(102);
  expect(custom.json.message).toContain('customFields.a');
});

test('missing fields are named', async () => {
  const r = await wrap({ tenantId: 'demo-tenant-1', iclFields: {} });
  expect(r.json).toEqual({ code: 102, message: 'Invalid request body: iclFields.requestingId is required' });
  const noTenant = await wrap({ iclFields: { requestingId: 'x' } });
  expect(noTenant.json.message).toContain('tenantId is required');
  const unwrap = await post('/api/1/document/unwrap', JSON.stringify(base));
  expect(unwrap.json.message).toContain('encryptedDocumentKey is required');
});

test('an empty tenantId or requestingId is 102', async () => {
  expect((await wrap({ ...base, tenantId: '' })).json.code).toBe(102);
  expect((await wrap({ ...base, iclFields: { requestingId: '' } })).json.code).toBe(102);
});

test('null optional iclFields and customFields (PHP, Rust) are accepted', async () => {
  const r = await wrap({ ...base, iclFields: { requestingId: 'x', dataLabel: null, sourceIp: null, objectId: null, requestId: null }, customFields: null });
  expect(r.status).toBe(200);
  expect(typeof r.json['dek']).toBe('string');
});

test('an oversized body is 413 with code 102', async () => {
  const r = await wrap({ ...base, customFields: { big: 'x'.repeat(5000) } });
  expect(r.status).toBe(413);
  expect(r.json.code).toBe(102);
  expect(r.json.message).toContain('TSP_MAX_BODY_BYTES');
});

test('an oversized batch is 102 and names documentIds', async () => {
  const r = await post('/api/1/document/batch-wrap', JSON.stringify({ ...base, documentIds: ['1', '2', '3', '4', '5', '6'] }));
  expect(r.status).toBe(400);
  expect(r.json.code).toBe(102);
  expect(r.json.message).toContain('documentIds');
  const edeks = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, 'AA==']));
  const u = await post('/api/1/document/batch-unwrap', JSON.stringify({ ...base, edeks }));
  expect(u.json.code).toBe(102);
  expect(u.json.message).toContain('edeks');
});

test('an unknown route is 404 with an error body', async () => {
  const r = await post('/api/1/document/nope', JSON.stringify(base));
  expect(r.status).toBe(404);
  expect(r.json.code).toBe(100);
  expect(r.json.message).toContain('/api/1/document/nope');
});

test.each([
  ['missing', undefined],
  ['another scheme', 'Bearer abc'],
  ['no key', 'cmk'],
  ['empty key', 'cmk '],
  ['a wrong key', 'cmk AAAAAAAAAAAAAAAAAAAAAAAA'],
  ['the key without the prefix', '__KEY__'],
])('Authorization %s: 401, code 101', async (_what, header) => {
  const r = await new Promise<Answer>((resolve, reject) => {
    const url = new URL(proxy.url);
    const h: Record<string, string> = { 'content-type': 'application/json' };
    if (header !== undefined) h['authorization'] = header.replace('__KEY__', env.apiKey);
    const req = request({ host: url.hostname, port: url.port, path: '/api/1/document/wrap', method: 'POST', headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: JSON.parse(text) as Answer['json'] }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(base));
  });
  expect(r.status).toBe(401);
  expect(r.json.code).toBe(101);
  expect(r.text).not.toContain(env.apiKey);
});

test('a wrong Content-Type is 415 with code 102', async () => {
  const r = await post('/api/1/document/wrap', 'tenantId=x', { 'content-type': 'application/x-www-form-urlencoded' });
  expect(r.status).toBe(415);
  expect(r.json.code).toBe(102);
});

test('a doubled slash before api/1 is served', async () => {
  const r = await post('//api/1/document/wrap', JSON.stringify(base));
  expect(r.status).toBe(200);
});

test('security-event answers exactly the 4 bytes null; a bad event name is 102', async () => {
  const ok = await post('/api/1/event/security-event', JSON.stringify({ ...base, iclFields: { requestingId: 'u', event: 'USER_LOGIN' }, timestampMillis: 1 }));
  expect(ok.status).toBe(200);
  expect(ok.text).toBe('null');
  const rust = await post('/api/1/event/security-event', JSON.stringify({ ...base, event: 'DATA_EXPORT' }));
  expect(rust.text).toBe('null');
  const bad = await post('/api/1/event/security-event', JSON.stringify({ ...base, iclFields: { requestingId: 'u', event: 'NOT_AN_EVENT' } }));
  expect(bad.json.code).toBe(102);
  expect(bad.json.message).toContain('iclFields.event');
  const none = await post('/api/1/event/security-event', JSON.stringify(base));
  expect(none.json).toEqual({ code: 102, message: 'Invalid request body: iclFields.event is required' });
});

test('derive rejects an unsupported derivationType or secretType with 102 naming it', async () => {
  const body = { ...base, paths: { ssn: ['p'] }, secretType: 'deterministic' };
  const argon = await post('/api/1/key/derive-with-secret-path', JSON.stringify({ ...body, derivationType: 'argon2' }));
  expect(argon.json.code).toBe(102);
  expect(argon.json.message).toContain('argon2');
  const other = await post('/api/1/key/derive-with-secret-path', JSON.stringify({ ...body, derivationType: 'md5' }));
  expect(other.json.code).toBe(102);
  expect(other.json.message).toContain('derivationType');
});

test('report-operations answers 2xx for a known tenant', async () => {
  const r = await post('/api/1/document/report-operations', JSON.stringify({ ...base, operations: { 'AAAA': { wraps: 2, unwraps: 3 } } }));
  expect(r.status).toBe(200);
});

test('after all of it the proxy is alive and never logged the API key', async () => {
  expect((await fetch(`${proxy.healthUrl}/live`)).status).toBe(200);
  expect(proxy.child.exitCode).toBeNull();
  expect(proxy.stderr()).not.toContain(env.apiKey);
  expect(proxy.stdoutLines.join('\n')).not.toContain(env.apiKey);
});
