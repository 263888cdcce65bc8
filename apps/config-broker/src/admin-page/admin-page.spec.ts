import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { KmsConfigView, ServiceAccount, Tenant } from '@tsp/broker-store';
import { createLogger } from '@tsp/observability';
import { buildBrokerApp } from '../broker-app';
import { BrokerHarness, startBroker } from '../testing/broker-harness';
import { openTestRepository } from '../testing/test-repository';
import { PageClient } from './test-page-client';

const PASSWORD = 'correct horse battery staple';

describe('admin web page', () => {
  let b: BrokerHarness;
  beforeEach(async () => {
    b = await startBroker();
  });
  afterEach(async () => {
    await b.close();
  });

  async function vendor(): Promise<PageClient> {
    const c = new PageClient(b.url);
    expect((await c.get('/admin/login')).status).toBe(200);
    const res = await c.post('/admin/login', { adminToken: b.adminToken });
    expect(res.status).toBe(303);
    return c;
  }

  async function tenant(id: string, name = `Tenant ${id}`): Promise<void> {
    expect((await b.admin('POST', '/api/v1/tenants', { id, name })).status).toBe(201);
  }

  /** Invites an admin of `tenantId` through the API, accepts on the page, logs in on the page. */
  async function tenantAdmin(tenantId: string, email: string): Promise<PageClient> {
    const inv = await b.admin('POST', `/api/v1/tenants/${tenantId}/admins`, { email });
    expect(inv.status).toBe(201);
    const { inviteToken } = inv.body as { inviteToken: string };
    const c = new PageClient(b.url);
    const form = await c.get(`/admin/invite?token=${encodeURIComponent(inviteToken)}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('Set password');
    const accepted = await c.post('/admin/invite', { token: inviteToken, password: PASSWORD, password2: PASSWORD });
    expect(accepted.status).toBe(303);
    expect(accepted.location).toBe('/admin/login?notice=password-set');
    await c.get('/admin/login');
    const login = await c.post('/admin/login', { email, password: PASSWORD });
    expect(login.status).toBe(303);
    expect(login.location).toBe(`/admin/tenants/${tenantId}`);
    return c;
  }

  it('logs the vendor admin in with a session cookie (HttpOnly, SameSite=Strict, Path=/admin, no Secure on http) and out again', async () => {
    const c = new PageClient(b.url);
    expect((await c.get('/admin/')).location).toBe('/admin/login');
    expect((await c.get('/admin/tenants')).location).toBe('/admin/login');
    await c.get('/admin/login');
    const res = await c.post('/admin/login', { adminToken: b.adminToken });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/admin/tenants');
    const session = res.setCookies.find((s) => s.startsWith('tsp_admin_session='));
    expect(session).toBeDefined();
    expect(session).toMatch(/; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=(28[0-9]{3})$/);
    expect(session).not.toContain('Secure');
    expect(session).not.toContain(b.adminToken);
    const list = await c.get('/admin/tenants');
    expect(list.status).toBe(200);
    expect(list.text).toContain('<h1>Tenants</h1>');

    const out = await c.post('/admin/logout', {});
    expect(out.status).toBe(303);
    expect(out.location).toBe('/admin/login?notice=logged-out');
    expect(out.setCookies.find((s) => s.startsWith('tsp_admin_session='))).toMatch(/^tsp_admin_session=; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=0$/);
    expect(c.cookies.has('tsp_admin_session')).toBe(false);
    expect((await c.get('/admin/tenants')).location).toBe('/admin/login');
    expect(b.transcript()).not.toContain(b.adminToken);
  });

  it('refuses a wrong admin token or password with the API message, sets no session and echoes no secret', async () => {
    const c = new PageClient(b.url);
    await c.get('/admin/login');
    const wrong = `${b.adminToken}x`;
    const res = await c.post('/admin/login', { adminToken: wrong });
    expect(res.status).toBe(401);
    expect(res.text).toContain('role="alert"');
    expect(res.text).not.toContain(wrong);
    expect(c.cookies.has('tsp_admin_session')).toBe(false);
    const bad = await c.post('/admin/login', { email: 'nobody@example.com', password: 'not the password at all' });
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('email or password is wrong');
    expect(bad.text).toContain('value="nobody@example.com"');
    expect(bad.text).not.toContain('not the password at all');
  });

  it('sets Secure on its cookies when the public URL is https', async () => {
    const repo = openTestRepository();
    const logger = createLogger({ level: 'error', service: 't', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
    const adminToken = randomBytes(24).toString('base64url');
    const { app } = buildBrokerApp({ repo, adminToken, sessionKey: randomBytes(32), brokerSigningKey: generateKeyPairSync('ed25519').privateKey, publicUrl: 'https://broker.example.com/tsp', logger });
    try {
      const page = await app.inject({ method: 'GET', url: '/admin/login' });
      const pre = [page.headers['set-cookie']].flat().find((s) => s?.startsWith('tsp_admin_pre=')) ?? '';
      expect(pre).toMatch(/; Path=\/tsp\/admin; HttpOnly; SameSite=Strict; Secure$/);
      expect(page.body).toContain('action="/tsp/admin/login"');
      const csrf = /name="_csrf" value="([^"]*)"/.exec(page.body)?.[1] ?? '';
      const login = await app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { cookie: pre.split(';')[0] ?? '', 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, adminToken }).toString(),
      });
      expect(login.statusCode).toBe(303);
      expect(login.headers['location']).toBe('/tsp/admin/tenants');
      const session = [login.headers['set-cookie']].flat().find((s) => s?.startsWith('tsp_admin_session=')) ?? '';
      expect(session).toMatch(/; Path=\/tsp\/admin; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    } finally {
      await app.close();
      await repo.close();
    }
  });

  it('refuses every POST without the right CSRF token (403) and changes nothing', async () => {
    const c = await vendor();
    const missing = await c.post('/admin/tenants', { id: 'csrf-a', name: 'A', _csrf: '' });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('CSRF');
    const forged = await c.post('/admin/tenants', { id: 'csrf-b', name: 'B', _csrf: 'A'.repeat(43) });
    expect(forged.status).toBe(403);
    // Another session's token (a tenant admin's) does not fit this session.
    await tenant('csrf-t');
    const other = await tenantAdmin('csrf-t', 'csrf@example.com');
    await other.get('/admin/tenants/csrf-t');
    await c.get('/admin/tenants');
    expect(other.csrf()).not.toBe(c.csrf());
    const crossed = await c.post('/admin/tenants', { id: 'csrf-c', name: 'C', _csrf: other.csrf() });
    expect(crossed.status).toBe(403);
    expect(((await b.admin('GET', '/api/v1/tenants')).body as { tenants: Tenant[] }).tenants.map((t) => t.id)).toEqual(['csrf-t']);
    // The right token works.
    const ok = await c.post('/admin/tenants', { id: 'csrf-d', name: 'D' });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/admin/tenants/csrf-d?notice=tenant-created');

    // The login form: a token without its pre-session cookie (another browser) is refused.
    const stranger = new PageClient(b.url);
    const noCookie = await stranger.post('/admin/login', { adminToken: b.adminToken, _csrf: c.csrf() });
    expect(noCookie.status).toBe(403);
    expect(stranger.cookies.has('tsp_admin_session')).toBe(false);
    // A JSON body is not a form: refused the same way.
    const json = await c.post('/admin/tenants', {}, { contentType: 'application/json', rawBody: JSON.stringify({ id: 'csrf-e', name: 'E', _csrf: c.csrf() }) });
    expect(json.status).toBe(415);
    expect((await b.admin('GET', '/api/v1/tenants/csrf-e')).status).toBe(404);
  });

  it('renders a tenant named <script> inert, on the list and on its own page', async () => {
    const evil = '<script>alert("x")</script>';
    await b.admin('POST', '/api/v1/tenants', { id: 'evil', name: evil, tags: ['eu'] });
    const c = await vendor();
    for (const path of ['/admin/tenants', '/admin/tenants/evil']) {
      const res = await c.get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.text).not.toContain('<script');
      expect(res.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('shows a tenant admin its own tenant only: another tenant, the tenant list and service accounts are 403', async () => {
    await tenant('t-own', 'Own tenant');
    await tenant('t-other', 'Secret Other Corp');
    const c = await tenantAdmin('t-own', 'owner@example.com');
    expect((await c.get('/admin/')).location).toBe('/admin/tenants/t-own');
    const own = await c.get('/admin/tenants/t-own');
    expect(own.status).toBe(200);
    expect(own.text).toContain('Tenant Own tenant');
    expect(own.text).toContain('owner@example.com');
    expect(own.text).not.toContain('href="/admin/service-accounts"');

    const other = await c.get('/admin/tenants/t-other');
    expect(other.status).toBe(403);
    expect(other.text).not.toContain('Secret Other Corp');
    const list = await c.get('/admin/tenants');
    expect(list.status).toBe(303);
    expect(list.location).toBe('/admin/');
    expect((await c.get('/admin/tenants?archived=1')).text).not.toContain('Secret Other Corp');
    const accounts = await c.get('/admin/service-accounts');
    expect(accounts.status).toBe(403);
    expect(accounts.text).toContain('only the vendor admin may do this');
    await c.get('/admin/tenants/t-own');
    const add = await c.post('/admin/tenants/t-other/kms-configs', { type: 'local', 'keyPath.local.name': 'k', credentials: JSON.stringify({ kek: randomBytes(32).toString('base64') }), active: 'true' });
    expect(add.status).toBe(403);
    expect((await b.admin('GET', '/api/v1/tenants/t-other/kms-configs')).body).toEqual({ kmsConfigs: [] });
    expect(b.transcript()).not.toContain(PASSWORD);
  });

  it('lets a tenant admin add a KMS config and make it primary; credentials are never rendered back', async () => {
    await tenant('t-kms');
    const c = await tenantAdmin('t-kms', 'kms@example.com');
    await c.get('/admin/tenants/t-kms');
    const kek = randomBytes(32).toString('base64');

    const badJson = await c.post('/admin/tenants/t-kms/kms-configs', { type: 'local', 'keyPath.local.name': 'k1', credentials: `{"kek": "${kek}"` });
    expect(badJson.status).toBe(400);
    expect(badJson.text).toContain('credentials is not valid JSON');
    expect(badJson.text).toContain('value="k1"');
    expect(badJson.text).not.toContain(kek);

    const refused = await c.post('/admin/tenants/t-kms/kms-configs', { type: 'local', 'keyPath.local.name': 'k1', credentials: JSON.stringify({ kek }), primary: 'true' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('primary requires active');
    expect(refused.text).not.toContain(kek);

    const added = await c.post('/admin/tenants/t-kms/kms-configs', { type: 'local', 'keyPath.local.name': 'k1', credentials: JSON.stringify({ kek }), active: 'true' });
    expect(added.status).toBe(303);
    const [config] = ((await b.admin('GET', '/api/v1/tenants/t-kms/kms-configs')).body as { kmsConfigs: KmsConfigView[] }).kmsConfigs;
    expect(config).toMatchObject({ type: 'local', keyPath: { name: 'k1' }, active: true, primary: false, hasCredentials: true });
    const page = await c.get(added.location);
    expect(page.text).toContain('KMS configuration added.');
    expect(page.text).toContain(`data-kms-config-id="${config?.id}"`);
    expect(page.text).not.toContain(kek);

    const primary = await c.post(`/admin/tenants/t-kms/kms-configs/${config?.id}`, { change: 'primary' });
    expect(primary.status).toBe(303);
    expect(((await b.admin('GET', `/api/v1/kms-configs/${config?.id}`)).body as KmsConfigView).primary).toBe(true);
    const deactivate = await c.post(`/admin/tenants/t-kms/kms-configs/${config?.id}`, { change: 'deactivate' });
    expect(deactivate.status).toBe(400);
    expect(deactivate.text).toContain('active cannot be false on a primary KMS config');
    expect(b.transcript()).not.toContain(kek);
  });

  it('shows a new service account env file once, with a warning, and never again', async () => {
    const c = await vendor();
    await c.get('/admin/service-accounts');
    const res = await c.post('/admin/service-accounts', { id: 'sa-page', name: 'Page account', tenantTags: 'eu, prod' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain('This is the only time this file is shown');
    const key = /TSP_SA_SIGNING_KEY=([^\s<]+)/.exec(res.text)?.[1] ?? '';
    expect(key.length).toBeGreaterThan(40);
    expect(res.text).toMatch(/TSP_SA_ENCRYPTION_KEY=\S+/);

    const list = await c.get('/admin/service-accounts');
    expect(list.text).toContain('sa-page');
    expect(list.text).not.toContain(key);
    expect(list.text).not.toContain('TSP_SA_');
    const revoke = await c.post('/admin/service-accounts/sa-page/revoke', {});
    expect(revoke.status).toBe(303);
    expect(((await b.admin('GET', '/api/v1/service-accounts/sa-page')).body as ServiceAccount).revokedAt).toBeDefined();
    expect(b.transcript()).not.toContain(key);
  });

  it('shows an invitation link once; the invited admin sets a password through it, once', async () => {
    await tenant('t-inv');
    const c = await vendor();
    await c.get('/admin/tenants/t-inv');
    const res = await c.post('/admin/tenants/t-inv/admins', { email: 'new@example.com' });
    expect(res.status).toBe(201);
    const link = /(http:\/\/127\.0\.0\.1:9500\/admin\/invite\?token=[A-Za-z0-9_%-]+)/.exec(res.text)?.[1] ?? '';
    expect(link).not.toBe('');
    const page = await c.get('/admin/tenants/t-inv');
    expect(page.text).toContain('new@example.com');
    expect(page.text).not.toContain(link);

    const invited = new PageClient(b.url);
    const path = link.replace('http://127.0.0.1:9500', '');
    await invited.get(path);
    const token = decodeURIComponent(path.split('token=')[1] ?? '');
    expect((await invited.post('/admin/invite', { token, password: PASSWORD, password2: `${PASSWORD}!` })).text).toContain('The two passwords differ.');
    expect((await invited.post('/admin/invite', { token, password: 'short', password2: 'short' })).status).toBe(400);
    expect((await invited.post('/admin/invite', { token, password: PASSWORD, password2: PASSWORD })).status).toBe(303);
    const again = await invited.post('/admin/invite', { token, password: PASSWORD, password2: PASSWORD });
    expect(again.status).toBe(404);
    expect(again.text).toContain('This invitation is not valid');
  });

  it('creates and archives tenants; a refused create is shown next to its form with the typed values', async () => {
    const c = await vendor();
    await c.get('/admin/tenants');
    expect((await c.post('/admin/tenants', { id: 'arch', name: 'Archivable', tags: 'eu prod' })).status).toBe(303);
    expect((await b.admin('GET', '/api/v1/tenants/arch')).body).toMatchObject({ name: 'Archivable', tags: ['eu', 'prod'] });
    const dup = await c.post('/admin/tenants', { id: 'arch', name: 'Again <b>' });
    expect(dup.status).toBe(409);
    expect(dup.text).toContain('value="Again &lt;b&gt;"');
    expect(dup.text).toMatch(/<p class="error" role="alert">[^<]+<\/p>\s*<form method="post" action="\/admin\/tenants"/);
    expect((await c.post('/admin/tenants/arch/archive', { archived: 'true' })).status).toBe(303);
    expect(((await b.admin('GET', '/api/v1/tenants/arch')).body as Tenant).archived).toBe(true);
  });

  it("lists the tenant's secrets with their status, never their material, and its logging config without credentials", async () => {
    await tenant('t-sec');
    const material = randomBytes(40).toString('base64');
    await b.repo.addSecret('t-sec', { secretPath: 'search/<path>', secretType: 'search', status: 'current', encryptedSecret: material });
    const c = await vendor();
    await c.get('/admin/tenants/t-sec');
    const token = randomBytes(16).toString('hex');
    const logging = JSON.stringify({ sinks: [{ id: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:9/x' } }] });
    const saved = await c.post('/admin/tenants/t-sec/logging-config', { loggingJson: logging, credentials: JSON.stringify({ hook: { token } }) });
    expect(saved.status).toBe(303);
    const res = await c.get('/admin/tenants/t-sec');
    expect(res.text).toContain('<h2 id="secrets">Tenant secrets</h2>');
    expect(res.text).toContain('<td>search/&lt;path&gt;</td><td>search</td><td>current</td>');
    expect(res.text).not.toContain(material);
    expect(res.text).toContain('Sinks with stored credentials: hook.');
    expect(res.text).toContain('&quot;url&quot;: &quot;http://127.0.0.1:9/x&quot;');
    expect(res.text).not.toContain(token);
    const unknownSink = await c.post('/admin/tenants/t-sec/logging-config', { loggingJson: logging, credentials: JSON.stringify({ other: { token } }) });
    expect(unknownSink.status).toBe(400);
    expect(unknownSink.text).toContain('sink credentials name sink &#39;other&#39;');
    expect(unknownSink.text).not.toContain(token);
  });

  it('refuses a form larger than it accepts with 413 and serves its stylesheet', async () => {
    const c = await vendor();
    await c.get('/admin/tenants');
    const big = await c.post('/admin/tenants', { id: 'big', name: 'x'.repeat(300 * 1024) });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const css = await c.get('/admin/admin.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await c.get('/admin/nothing-here')).status).toBe(404);
  });
});
