import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnvFile } from '@tsp/config-crypto';
import { decodeEdekBase64 } from '@tsp/tsp-protocol';
import { launchLoopbackChromium, LoopbackBrowser, ProxyProcess, startProxy, TrackedChild, waitUntil } from '@tsp/test-support';
import { BrokerProcess, startBrokerProcess } from './broker-process';

/**
 * The admin web page in a real headless Chromium (Debian `chromium`, driven by playwright-core),
 * against the BUILT broker and a BUILT proxy: a tenant admin invited through the API accepts the
 * invitation (sets a password), logs in, adds a KMS config and makes it primary; within 5 s the
 * proxy wraps the tenant's DEKs with that config (the EDEK names its id). The browser talks to
 * 127.0.0.1 only (every other request is aborted and recorded).
 */
const TENANT = 'page-tenant';
const EMAIL = 'kms-admin@example.com';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

let work: string;
let b: BrokerProcess;
let broker: TrackedChild;
let brokerUrl: string;
let proxy: ProxyProcess;
let apiKey: string;
let browser: LoopbackBrowser | undefined;

function admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return b.admin(method, route, body);
}

/** A wrap through the proxy's HTTP API: the kmsConfigId of the EDEK's first (primary) entry, or undefined when refused. */
async function wrapConfigId(): Promise<number | undefined> {
  const res = await fetch(`${proxy.url}/api/1/document/wrap`, {
    method: 'POST',
    headers: { authorization: `cmk ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: TENANT, iclFields: { requestingId: 'admin-page-e2e' }, customFields: {} }),
  });
  if (res.status !== 200) return undefined;
  const body = (await res.json()) as { edek: string };
  return decodeEdekBase64(body.edek)[0]?.kmsConfigId;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-admin-page-e2e-'));
  b = await startBrokerProcess(work);
  brokerUrl = b.url;
  broker = b.child;

  const sa = await admin('POST', '/service-accounts', { id: 'sa-page', name: 'page e2e proxies', tenantTags: ['page'] });
  expect(sa.status).toBe(201);
  const saFile = path.join(work, 'service-account.env');
  writeFileSync(saFile, String(sa.json['envFile']), { mode: 0o600 });
  apiKey = parseEnvFile(String(sa.json['envFile']))['API_KEY'] ?? '';
  expect((await admin('POST', '/tenants', { id: TENANT, name: 'Page tenant', tags: ['page'] })).status).toBe(201);
  proxy = await startProxy({ serviceAccountFile: saFile, env: { TSP_EVENT_OUTPUT: 'none' } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a tenant admin accepts the invitation, adds a KMS config and makes it primary in Chromium; the proxy wraps with it within 5 s', async () => {
  // The tenant starts with a primary config made through the API: the proxy wraps with it.
  const first = await admin('POST', `/tenants/${TENANT}/kms-configs`, { type: 'local', keyPath: { name: 'first' }, credentials: { kek: randomBytes(32).toString('base64') }, active: true, primary: true });
  expect(first.status).toBe(201);
  const firstId = Number(first.json['id']);
  await waitUntil(async () => (await wrapConfigId()) === firstId, 5000, 'the proxy wraps with the first config');

  const invite = await admin('POST', `/tenants/${TENANT}/admins`, { email: EMAIL });
  expect(invite.status).toBe(201);
  const inviteUrl = String(invite.json['inviteUrl']);
  expect(inviteUrl.startsWith(`${brokerUrl}/admin/invite?token=`)).toBe(true);

  browser = await launchLoopbackChromium();
  const page = browser.page;
  const kek = randomBytes(32).toString('base64');
  try {
    await page.goto(inviteUrl);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(`${brokerUrl}/admin/login?notice=password-set`);

    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${brokerUrl}/admin/tenants/${TENANT}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tenant Page tenant');
    const cookies = await browser.context.cookies();
    expect(cookies.find((c) => c.name === 'tsp_admin_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });

    await page.getByLabel('Type').selectOption('local');
    await page.getByLabel('Key name (a label)').fill('from-the-page');
    await page.getByLabel(/^Credentials/).fill(JSON.stringify({ kek }));
    await page.getByRole('button', { name: 'Add KMS configuration' }).click();
    await page.getByText('KMS configuration added.').waitFor();
    const row = page.locator('tr[data-kms-config-id]', { hasText: 'from-the-page' });
    const newId = Number(await row.getAttribute('data-kms-config-id'));
    expect(newId).toBeGreaterThan(firstId);
    expect(await page.content()).not.toContain(kek);
    // Added active but not primary: the proxy still wraps with the first config.
    expect(await wrapConfigId()).toBe(firstId);

    await row.getByRole('button', { name: 'Make primary' }).click();
    await page.getByText('KMS configuration changed.').waitFor();
    const madePrimaryAt = Date.now();
    expect(await page.locator(`tr[data-kms-config-id="${newId}"] td`).nth(4).textContent()).toBe('yes');

    await waitUntil(async () => (await wrapConfigId()) === newId, 5000, 'the proxy wraps with the config made primary on the page');
    expect(Date.now() - madePrimaryAt).toBeLessThan(5000);
    expect(browser.refused).toEqual([]);
    expect(broker.stderr()).not.toContain(kek);
    expect(broker.stderr()).not.toContain(PASSWORD);
  } catch (e) {
    const shots = mkdtempSync(path.join(tmpdir(), 'tsp-admin-page-failure-'));
    const file = path.join(shots, 'page.png');
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    (e as Error).message += `\n(screenshot of the page: ${file}; page URL ${page.url()})`;
    throw e;
  }
}, 60_000);
