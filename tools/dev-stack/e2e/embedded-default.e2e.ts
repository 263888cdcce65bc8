import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DocumentMetadata, TenantSecurityClient, TenantSecurityException } from '@ironcorelabs/tenant-security-nodejs';
import { waitUntil } from '@tsp/test-support';
import { apiKeyOf, DevStack, startDevStack } from './dev-stack-process';

/**
 * The embedded default as a new user meets it: `npm start`'s dev stack creates its environment,
 * runs the configuration broker seeded (through its admin API) with the demo tenants, and the
 * proxy and logdriver fetching from it over HTTP; the Node client demo script passes; a config
 * disabled through the broker's admin API is refused by the proxy within 5 s and works again
 * when re-enabled; a child killed with -9 is restarted and reported.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'tsp-devstack-'));
let stack: DevStack;

beforeAll(async () => {
  stack = await startDevStack(dir);
  // Each fake prints one JSON line when it listens.
  await waitUntil(() => ['"service":"aws-kms"', '"tokenUri"', '"authorityHost"'].every((s) => stack.output().includes(s)), 20000, 'cloud KMS fakes listening');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('first run creates the environment, keeps its secrets in 0600 files and prints none of them', () => {
  const out = stack.output();
  expect(out).toContain('created the development environment');
  expect(out).toContain('seeding the configuration broker through its admin API');
  expect(out).toContain(stack.proxyUrl);
  expect(out).toContain(`${stack.brokerUrl}/admin`);
  const sa = stack.serviceAccount();
  // The proxy's service account was issued by the broker and points at it over HTTP.
  expect(sa['TSP_SERVICE_CONFIG_ID']).toBe('dev-stack');
  expect(sa['TSP_CONFIG_URL']).toBe(`${stack.brokerUrl}/api/v1/config-document`);
  for (const f of ['service-account.env', 'broker-admin-token', 'broker-master-key', 'broker-key.json']) {
    expect({ f, mode: statSync(path.join(dir, f)).mode & 0o777 }).toEqual({ f, mode: 0o600 });
  }
  const secrets = [
    apiKeyOf(stack),
    readFileSync(path.join(dir, 'broker-admin-token'), 'utf8').trim(),
    readFileSync(path.join(dir, 'broker-master-key'), 'utf8').trim(),
    (JSON.parse(readFileSync(path.join(dir, 'broker-key.json'), 'utf8')) as { signingKey: string }).signingKey,
    sa['TSP_SA_ENCRYPTION_KEY'] ?? '',
    sa['TSP_SA_SIGNING_KEY'] ?? '',
  ];
  for (const s of secrets) {
    expect(s.length).toBeGreaterThanOrEqual(16);
    expect(out).not.toContain(s);
  }
  // The file-document of the old embedded default is not made any more.
  expect(existsSync(path.join(dir, 'config-document.json'))).toBe(false);
});

test('the broker holds the demo tenants with their fixed KMS config ids, leasing and logging configs', async () => {
  const configs = async (t: string): Promise<{ id: number; active: boolean; primary: boolean; leasingAllowed: boolean; hasCredentials: boolean }[]> =>
    (await stack.admin('GET', `/tenants/${t}/kms-configs`)).json['kmsConfigs'] as never;
  expect((await configs('demo-tenant-1')).map((c) => [c.id, c.active, c.primary])).toEqual([[101, true, true]]);
  expect((await configs('demo-tenant-2')).map((c) => [c.id, c.primary, c.leasingAllowed])).toEqual([[201, true, true]]);
  expect((await configs('demo-tenant-combo')).map((c) => [c.id, c.active, c.primary]).sort()).toEqual([[301, true, false], [302, false, false]]);
  for (const [t, id] of [['demo-tenant-aws', 401], ['demo-tenant-gcp', 501], ['demo-tenant-azure', 601]] as const) {
    expect((await configs(t)).map((c) => [c.id, c.hasCredentials])).toEqual([[id, true]]);
  }
  const logging = await stack.admin('GET', '/tenants/demo-tenant-1/logging-config');
  expect((logging.json['sinks'] as { id: string; type: string }[]).map((s) => [s.id, s.type])).toEqual([['events-file', 'file']]);
  const sas = (await stack.admin('GET', '/service-accounts')).json['serviceAccounts'] as { id: string; tenantTags: string[] }[];
  expect(sas.map((s) => [s.id, s.tenantTags])).toEqual([['dev-stack', []]]);
});

test('the Node client demo script passes against the demo tenants', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'examples', 'node-client-demo.js')], {
    env: { PATH: process.env['PATH'] ?? '', TSP_URL: stack.proxyUrl, API_KEY: apiKeyOf(stack) },
    encoding: 'utf8',
    timeout: 20000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('ok  rekey demo-tenant-1 -> demo-tenant-2');
  expect(r.stdout).toContain('ok  deterministic encrypt/decrypt');
  for (const cloud of ['aws', 'gcp', 'azure']) expect(r.stdout).toContain(`ok  encrypt/decrypt for demo-tenant-${cloud} through its own KMS`);
  expect(r.stdout).toContain('ok  rekey demo-tenant-aws (AWS KMS) -> demo-tenant-azure (Azure Key Vault)');
});

const eventsOf = (t: string): { iclFields: { event: string }; customFields?: Record<string, string> }[] => {
  const file = path.join(dir, 'events', `${t}.ndjson`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as never) : [];
};

test("the demo's events reach each tenant's file through the logdriver", async () => {
  const names = (t: string): string[] => eventsOf(t).map((e) => e.iclFields.event);
  // Each tenant's events are batched on their own (up to 2 s): wait for every file.
  await waitUntil(
    () => names('demo-tenant-1').includes('USER_LOGIN') && names('demo-tenant-aws').includes('KMS_WRAP_KEY') && names('demo-tenant-azure').includes('KMS_REKEY_KEY'),
    10000,
    'event files',
  );
  expect(names('demo-tenant-1')).toContain('KMS_WRAP_KEY');
  expect(names('demo-tenant-azure')).toContain('KMS_REKEY_KEY');
});

test("disabling demo-tenant-1's config through the broker's admin API: the proxy refuses unwrap with 202 within 5 s; re-enabling restores it", async () => {
  const client = new TenantSecurityClient(stack.proxyUrl, apiKeyOf(stack));
  const meta = new DocumentMetadata('demo-tenant-1', 'dev-stack-e2e', 'PII');
  const enc = await client.encryptDocument({ f: Buffer.from('watch it go') }, meta);
  expect((await client.decryptDocument(enc, meta)).plaintextDocument['f']?.toString()).toBe('watch it go');

  expect((await stack.admin('PATCH', '/kms-configs/101', { primary: false, active: false })).status).toBe(200);
  const disabledAt = Date.now();
  let code: number | undefined;
  await waitUntil(
    () =>
      client.decryptDocument(enc, meta).then(
        () => false,
        (e: unknown) => {
          code = (e as TenantSecurityException).errorCode;
          return true;
        },
      ),
    5000,
    'unwrap refused after the config was disabled',
  );
  expect(Date.now() - disabledAt).toBeLessThan(5000);
  expect(code).toBe(202);
  // The tenant has no active config now: wraps fail too (201, unknown tenant or no active configs).
  await expect(client.encryptDocument({ f: Buffer.from('x') }, meta)).rejects.toMatchObject({ errorCode: 201 });

  expect((await stack.admin('PATCH', '/kms-configs/101', { active: true, primary: true })).status).toBe(200);
  await waitUntil(() => client.decryptDocument(enc, meta).then(() => true, () => false), 5000, 'unwrap restored');
  expect((await client.decryptDocument(enc, meta)).plaintextDocument['f']?.toString()).toBe('watch it go');
  // The admin change is an event of the tenant too (through the logdriver to its file).
  await waitUntil(
    () => eventsOf('demo-tenant-1').some((e) => e.iclFields.event === 'ADMIN_CHANGE_SETTING' && e.customFields?.['action'] === 'kms-config.update' && e.customFields['kmsConfigId'] === '101'),
    10000,
    'the admin change in the tenant events file',
  );
}, 30_000);

test('the stack runs the broker, the proxy, the logdriver and the three cloud KMS fakes', () => {
  const children = spawnSync('pgrep', ['-a', '-P', String(stack.child.pid)], { encoding: 'utf8' }).stdout;
  for (const name of ['apps/config-broker/main.js', 'apps/proxy/main.js', 'apps/logdriver/main.js', 'fakes/aws-kms/main.js', 'fakes/gcp-kms/main.js', 'fakes/azure-keyvault/main.js']) {
    expect(children).toContain(name);
  }
});

test('a proxy and a broker killed with -9 are restarted and the restarts are reported; the proxy serves again', async () => {
  const proxyBefore = stack.childPids('apps/proxy/main.js');
  const brokerBefore = stack.childPids('apps/config-broker/main.js');
  expect(proxyBefore).toHaveLength(1);
  expect(brokerBefore).toHaveLength(1);
  process.kill(Number(proxyBefore[0]), 'SIGKILL');
  process.kill(Number(brokerBefore[0]), 'SIGKILL');
  await waitUntil(() => stack.output().includes('proxy exited (SIGKILL); restarting') && stack.output().includes('config-broker exited (SIGKILL); restarting'), 5000, 'restart reports');
  // The restarted proxy fetches its config from the restarted broker before it is ready.
  await waitUntil(() => stack.ready(), 20000, 'proxy back');
  expect(stack.childPids('apps/proxy/main.js')).not.toEqual(proxyBefore);
  expect(stack.childPids('apps/config-broker/main.js')).toHaveLength(1);
  expect(stack.childPids('apps/config-broker/main.js')).not.toEqual(brokerBefore);
  const client = new TenantSecurityClient(stack.proxyUrl, apiKeyOf(stack));
  const meta = new DocumentMetadata('demo-tenant-2', 'dev-stack-e2e', 'PII');
  const enc = await client.encryptDocument({ f: Buffer.from('after the restart') }, meta);
  expect((await client.decryptDocument(enc, meta)).plaintextDocument['f']?.toString()).toBe('after the restart');
  // The broker was not seeded again: its data persisted in the dev dir.
  expect(stack.output().match(/seeding the configuration broker/g)).toHaveLength(1);
}, 40_000);

test('SIGTERM stops the stack and every child', async () => {
  const children = stack.childPids();
  expect(children).toHaveLength(6);
  expect(await stack.stop()).toBe(0);
  for (const child of children) expect(spawnSync('kill', ['-0', child]).status).not.toBe(0);
});
