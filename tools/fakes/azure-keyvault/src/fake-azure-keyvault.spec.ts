import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@tsp/test-support';
import { FakeAzureKeyVault, startFakeAzureKeyVault } from './index';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One request to the fake (https trusting its certificate, or http). */
function call(fake: FakeAzureKeyVault, method: string, p: string, opts: { token?: string; json?: unknown; form?: Record<string, string> } = {}): Promise<Res> {
  const body = opts.form !== undefined ? new URLSearchParams(opts.form).toString() : opts.json !== undefined ? JSON.stringify(opts.json) : undefined;
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  if (body !== undefined) headers['content-type'] = opts.form !== undefined ? 'application/x-www-form-urlencoded' : 'application/json';
  const u = new URL(p, fake.url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method, headers, ...(fake.caCert !== undefined ? { ca: fake.caCert } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const API = '?api-version=7.6';

async function token(fake: FakeAzureKeyVault, secret = fake.clientSecret): Promise<Res> {
  return call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, {
    form: { grant_type: 'client_credentials', client_id: fake.clientId, client_secret: secret, scope: 'https://vault.azure.net/.default' },
  });
}

async function bearer(fake: FakeAzureKeyVault): Promise<string> {
  return (await token(fake)).body['access_token'] as string;
}

describe('fake Azure Key Vault (https)', () => {
  let fake: FakeAzureKeyVault;
  beforeAll(async () => {
    fake = await startFakeAzureKeyVault({ tls: true, keys: { k1: 2, k2: 1 } });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.resetCounts();
  });
  afterAll(() => fake.close());

  it('listens on 127.0.0.1 only', () => {
    expect(new URL(fake.url).hostname).toBe('127.0.0.1');
    expect(fake.url.startsWith('https://')).toBe(true);
  });

  it('answers a request without a token with 401 and the Bearer challenge', async () => {
    const r = await call(fake, 'POST', `/keys/k1//wrapkey${API}`, { json: { alg: 'RSA-OAEP-256', value: 'AA' } });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(`Bearer authorization="${fake.authorityHost}/${fake.tenantGuid}", resource="https://vault.azure.net"`);
    expect(r.body).toMatchObject({ error: { code: 'Unauthorized' } });
    expect(fake.counts()).toMatchObject({ challenge: 1, wrapkey: 0 });
  });

  it('rejects a forged token with the challenge again', async () => {
    const t = await bearer(fake);
    const forged = `${t.slice(0, -4)}AAAA`;
    expect((await call(fake, 'GET', `/keys/k1${API}`, { token: forged })).status).toBe(401);
  });

  it('serves the OpenID configuration MSAL reads for a custom authority', async () => {
    const r = await call(fake, 'GET', `/${fake.tenantGuid}/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      token_endpoint: `${fake.authorityHost}/${fake.tenantGuid}/oauth2/v2.0/token`,
      issuer: `${fake.authorityHost}/${fake.tenantGuid}/v2.0`,
    });
  });

  it('grants a token for the right client secret only', async () => {
    const ok = await token(fake);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const bad = await token(fake, 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(fake.counts()).toMatchObject({ token: 2, tokenGranted: 1 });
  });

  it('checks tenant, grant type and scope', async () => {
    const base = { grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: 'https://vault.azure.net/.default' };
    const otherTenant = await call(fake, 'POST', `/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token`, { form: base });
    expect(otherTenant.body).toMatchObject({ error_codes: [90002] });
    const grant = await call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, { form: { ...base, grant_type: 'password' } });
    expect(grant.body).toMatchObject({ error: 'unsupported_grant_type' });
    const scope = await call(fake, 'POST', `/${fake.tenantGuid}/oauth2/v2.0/token`, { form: { ...base, scope: 'https://graph.microsoft.com/.default' } });
    expect(scope.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('GET /keys returns the public key; a local RSA-OAEP-256 wrap with it unwraps remotely with that version', async () => {
    const t = await bearer(fake);
    const [v1, v2] = fake.versions('k1');
    const latest = await call(fake, 'GET', `/keys/k1${API}`, { token: t });
    expect((latest.body['key'] as Record<string, unknown>)['kid']).toBe(`${fake.url}/keys/k1/${v2}`);
    const first = await call(fake, 'GET', `/keys/k1/${v1}${API}`, { token: t });
    const jwk = first.body['key'] as { kid: string; kty: string; n: string; e: string };
    expect(jwk).toMatchObject({ kid: `${fake.url}/keys/k1/${v1}`, kty: 'RSA' });
    const dek = randomBytes(32);
    const pub = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    const wrapped = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dek);
    const r = await call(fake, 'POST', `/keys/k1/${v1}/unwrapkey${API}`, { token: t, json: { alg: 'RSA-OAEP-256', value: wrapped.toString('base64url') } });
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body['value'] as string, 'base64url').equals(dek)).toBe(true);
    // The other version is another RSA key: 400 BadParameter.
    const wrong = await call(fake, 'POST', `/keys/k1/${v2}/unwrapkey${API}`, { token: t, json: { alg: 'RSA-OAEP-256', value: wrapped.toString('base64url') } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: 'BadParameter' } });
  });

  it('wrapkey without a version uses the newest one and names it in kid', async () => {
    const t = await bearer(fake);
    const newest = fake.versions('k1')[1];
    for (const p of ['/keys/k1//wrapkey', '/keys/k1/wrapkey']) {
      const r = await call(fake, 'POST', `${p}${API}`, { token: t, json: { alg: 'RSA-OAEP-256', value: randomBytes(32).toString('base64url') } });
      expect(r.status).toBe(200);
      expect(r.body['kid']).toBe(`${fake.url}/keys/k1/${newest}`);
      expect(Buffer.from(r.body['value'] as string, 'base64url')).toHaveLength(256);
    }
  });

  it('needs api-version and a supported algorithm', async () => {
    const t = await bearer(fake);
    expect((await call(fake, 'GET', '/keys/k1', { token: t })).status).toBe(400);
    const r = await call(fake, 'POST', `/keys/k1//wrapkey${API}`, { token: t, json: { alg: 'A256KW', value: 'AA' } });
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'BadParameter' } } });
  });

  it('sends Key Vault error bodies with the right statuses', async () => {
    const t = await bearer(fake);
    const wrap = (name: string): Promise<Res> => call(fake, 'POST', `/keys/${name}//wrapkey${API}`, { token: t, json: { alg: 'RSA-OAEP-256', value: 'AAAA' } });
    expect(await wrap('nope')).toMatchObject({ status: 404, body: { error: { code: 'KeyNotFound' } } });
    fake.setKeyEnabled('k2', false);
    expect(await wrap('k2')).toMatchObject({ status: 403, body: { error: { code: 'Forbidden', innererror: { code: 'KeyDisabled' } } } });
    fake.setKeyEnabled('k2', true);
    fake.addFault({ key: 'k2', fault: 'forbidden', times: 1 });
    expect(await wrap('k2')).toMatchObject({ status: 403, body: { error: { code: 'Forbidden', innererror: { code: 'AccessDenied' } } } });
    fake.addFault({ ops: ['wrapkey'], fault: 'throttle', times: 1 });
    const th = await wrap('k2');
    expect(th).toMatchObject({ status: 429, body: { error: { code: 'Throttled' } } });
    expect(th.headers['retry-after']).toBe('1');
    fake.addFault({ ops: ['wrapkey'], fault: 'missing', times: 1 });
    expect((await wrap('k2')).status).toBe(404);
    fake.addFault({ ops: ['wrapkey'], fault: 'unavailable', times: 1 });
    expect(await wrap('k2')).toMatchObject({ status: 503, body: { error: { code: 'ServiceUnavailable' } } });
    expect((await wrap('k2')).status).toBe(200);
  });

  it('per-key rules hit only that key; counted rules are used up', async () => {
    const t = await bearer(fake);
    fake.addFault({ key: 'k1', fault: 'throttle', times: 2 });
    const get = async (name: string): Promise<number> => (await call(fake, 'GET', `/keys/${name}${API}`, { token: t })).status;
    expect(await get('k2')).toBe(200);
    expect(await get('k1')).toBe(429);
    expect(await get('k1')).toBe(429);
    expect(await get('k1')).toBe(200);
  });

  it('a network drop destroys the socket without a response', async () => {
    const t = await bearer(fake);
    fake.addFault({ ops: ['unwrapkey'], fault: 'drop' });
    await expect(call(fake, 'POST', `/keys/k1//unwrapkey${API}`, { token: t, json: { alg: 'RSA-OAEP-256', value: 'AA' } })).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(fake.counts().unwrapkey).toBe(1);
  });

  it('injects latency', async () => {
    const t = await bearer(fake);
    fake.addFault({ ops: ['get'], latencyMs: 200 });
    const started = Date.now();
    expect((await call(fake, 'GET', `/keys/k1${API}`, { token: t })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('token-side faults: application disabled (AADSTS7000112)', async () => {
    fake.addFault({ ops: ['token'], fault: 'app-disabled', times: 1 });
    expect(await token(fake)).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_codes: [7000112] } });
  });

  it('control API: add and clear faults, rotate, disable, state; rejects bad rules', async () => {
    expect((await call(fake, 'POST', '/_fake/faults', { json: { ops: ['get'], fault: 'explode' } })).status).toBe(400);
    expect((await call(fake, 'POST', '/_fake/faults', { json: { ops: ['get'], fault: 'missing', times: 1 } })).status).toBe(201);
    const t = await bearer(fake);
    expect((await call(fake, 'GET', `/keys/k2${API}`, { token: t })).status).toBe(404);
    expect((await call(fake, 'POST', '/_fake/faults', { json: { ops: ['get'], fault: 'missing' } })).status).toBe(201);
    expect((await call(fake, 'DELETE', '/_fake/faults')).status).toBe(204);
    expect((await call(fake, 'GET', `/keys/k2${API}`, { token: t })).status).toBe(200);
    const rotated = await call(fake, 'POST', '/_fake/keys/k2/rotate');
    expect(fake.versions('k2')).toContain(rotated.body['version']);
    expect((await call(fake, 'PATCH', '/_fake/keys/k2', { json: { enabled: false } })).status).toBe(200);
    const state = await call(fake, 'GET', '/_fake/state');
    expect(state.body).toMatchObject({ keys: { k2: { enabled: false, versions: fake.versions('k2') } } });
    await call(fake, 'PATCH', '/_fake/keys/k2', { json: { enabled: true } });
    expect((await call(fake, 'PUT', '/_fake/keys/k3', { json: { versions: 2 } })).status).toBe(201);
    expect(fake.versions('k3')).toHaveLength(2);
  });
});

describe('fake Azure Key Vault CLI', () => {
  const MAIN = path.resolve(__dirname, '..', '..', '..', '..', 'dist', 'tools', 'fakes', 'azure-keyvault', 'main.js');
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-akv-cli-'));
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from one command on a chosen port; a node started with NODE_EXTRA_CA_CERTS trusts it', async () => {
    const port = await freePort();
    const ca = path.join(dir, 'ca.pem');
    child = spawn(process.execPath, [MAIN, '--port', String(port), '--tls', '--ca-out', ca, '--client-secret', 'cli-secret', '--key', 'cli-key:2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child?.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child?.once('exit', (code) => reject(new Error(`fake exited with ${String(code)}`)));
    });
    const info = JSON.parse(line) as { url: string; tenantGuid: string; clientId: string; port: number };
    expect(info.url).toBe(`https://127.0.0.1:${port}`);
    // A separate node process: NODE_EXTRA_CA_CERTS is read only at startup.
    const script = `fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: process.argv[2] })
      .then(async (r) => console.log(r.status, (await r.json()).token_type)).catch((e) => { console.log('ERR', e.cause?.code ?? e.message); });`;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: info.clientId, client_secret: 'cli-secret', scope: 'https://vault.azure.net/.default' }).toString();
    const tokenUrl = `${info.url}/${info.tenantGuid}/oauth2/v2.0/token`;
    const run = (env: Record<string, string>): string =>
      spawnSync(process.execPath, ['-e', script, tokenUrl, form], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 10000 }).stdout.trim();
    expect(run({ NODE_EXTRA_CA_CERTS: ca })).toBe('200 Bearer');
    expect(run({})).toMatch(/^ERR /);
  });
});

describe('fake Azure Key Vault (plain http)', () => {
  it('serves the same protocol over http on loopback', async () => {
    const fake = await startFakeAzureKeyVault({ clientSecret: 'plain' });
    try {
      expect(fake.url.startsWith('http://127.0.0.1:')).toBe(true);
      expect(fake.caCert).toBeUndefined();
      expect((await call(fake, 'GET', `/keys/tsp-key${API}`)).status).toBe(401);
      const t = await bearer(fake);
      expect((await call(fake, 'GET', `/keys/tsp-key${API}`, { token: t })).status).toBe(200);
    } finally {
      await fake.close();
    }
  });
});
