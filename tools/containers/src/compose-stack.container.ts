import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DocumentMetadata, TenantSecurityClient } from '@ironcorelabs/tenant-security-nodejs';
import { parseEnvFile } from '@tsp/config-crypto';
import { freePort, waitUntil } from '@tsp/test-support';
import { stringify } from 'yaml';
import { brokerAdminClient } from '../../../apps/config-broker/e2e/broker-process';
import { ComposeFile, ComposeService, isNamespaceHolder, loadCompose } from './compose-checks';
import { applyOverride, hostNetworkOverride, startOrder } from './compose-host-network';
import { containerLogs, containerState, ContainerSpec, listenAddresses, podman, podmanOk, removeContainers, removeVolumes, requirePodman, runArgs, runToEnd, TestImages, testImages, waitForHttp } from './index';
import { AppName, appOfImage } from './kubernetes-app-settings';

/**
 * docker/compose.yaml as the deployment guide runs it, with the images built here and the
 * UNMODIFIED Node Tenant Security Client: the broker's secrets from `tsp-admin broker-env` in
 * the broker image, the broker started, a tenant, its KMS config and a service account created
 * through the admin API, the service-account file mounted as the guide says (mode 644 in a
 * directory of mode 700), the pair started (its namespace holder `pair`, the logdriver, the
 * proxy), one wrap and unwrap, events through the logdriver, then every service stopped as
 * compose stops them (proxy first, the holder after the apps in its namespace), each exiting 0.
 *
 * Network rule: every service runs on the host network with free loopback ports (the test-only
 * override of compose-host-network.ts, written next to the secrets for inspection); nothing is
 * bridged. Why not podman-compose: Debian 12's podman-compose 1.0.3 attaches every container to
 * a bridge network it creates (even with network_mode: host) and does not translate
 * network_mode "service:…"; so this test starts the file's services with `podman run`, keeping
 * what the file sets (image, entrypoint, environment, env_file, secrets, volumes, read_only,
 * tmpfs, cap_drop, security_opt) and the start and stop order of its depends_on (startOrder in
 * compose-host-network.ts; stopped in the reverse order). On the host network the holder binds
 * nothing (it only runs `node -e`, waiting for SIGTERM): started first, stopped last, it must
 * exit 0 at once.
 *
 * Network: the image builds reach the npm registry (npm ci) and the local bases' mmdebstrap
 * deb.debian.org, by design (under `npm test`: once, in the pre-build step); the stack itself
 * sends every packet to 127.0.0.1, and every service listens on 127.0.0.1 only (checked).
 */
jest.setTimeout(600_000);

const run = `tsp-compose-${randomBytes(3).toString('hex')}`;
const TENANT = 'compose-tenant';
let built: TestImages;
let work: string;
let secretsDir: string;
let compose: ComposeFile;
const started: string[] = [];
const volumes = new Set<string>();

function containerName(service: string): string {
  return `${run}-${service}`;
}

function envOf(svc: ComposeService): Record<string, string> {
  return svc['environment'] as Record<string, string>;
}

/** `podman run` of one compose service, as compose would create it (on the host network). */
function runArgsFor(name: string, svc: ComposeService): string[] {
  const app = appOfImage(String(svc['image'])) as AppName;
  const entrypoint = svc['entrypoint'] as string | string[] | undefined;
  const command = svc['command'] as string[] | undefined;
  if (command !== undefined && !Array.isArray(command)) throw new Error(`${name}: command in the string form is not modelled here`);
  const spec: ContainerSpec = { name: containerName(name), image: built.refs[app], env: envOf(svc), readOnly: svc['read_only'] === true, volumes: [], entrypoint, args: command };
  const mounts: string[] = [];
  for (const f of ([] as unknown[]).concat(svc['env_file'] ?? []).map(String)) {
    if (path.dirname(f) !== './secrets' && path.dirname(f) !== 'secrets') throw new Error(`${name}: env_file ${f} outside secrets/`);
    spec.envFile = path.join(secretsDir, path.basename(f));
  }
  for (const v of (svc['volumes'] ?? []) as string[]) {
    const [source, target] = v.split(':');
    if (source === undefined || target === undefined || !(source in (compose.volumes ?? {}))) throw new Error(`${name}: volume ${v} is not a named volume`);
    volumes.add(`${run}-${source}`);
    mounts.push(`${run}-${source}:${target}`);
  }
  for (const s of (svc['secrets'] ?? []) as { source: string; target: string }[]) {
    const file = compose.secrets?.[s.source]?.file;
    if (file === undefined || path.dirname(file) !== './secrets') throw new Error(`${name}: secret ${s.source} outside secrets/`);
    mounts.push(`${path.join(secretsDir, path.basename(file))}:${s.target}:ro`);
  }
  spec.volumes = mounts;
  const args = runArgs(spec);
  // What container-run.ts does not model: the file's hardening, applied as compose would.
  const extra: string[] = [];
  for (const c of (svc['cap_drop'] ?? []) as string[]) extra.push('--cap-drop', c);
  for (const o of (svc['security_opt'] ?? []) as string[]) extra.push('--security-opt', o);
  for (const t of (svc['tmpfs'] ?? []) as string[]) extra.push('--tmpfs', t);
  if ((svc['healthcheck'] as Record<string, unknown> | undefined)?.['disable'] === true) extra.push('--no-healthcheck');
  const ro = args.indexOf('--read-only-tmpfs=false');
  if (ro >= 0 && extra.includes('--tmpfs')) args.splice(ro, 1);
  args.splice(args.indexOf('--name'), 0, ...extra);
  return args;
}

async function start(service: string): Promise<void> {
  const svc = compose.services[service] as ComposeService;
  started.push(containerName(service));
  await podmanOk(runArgsFor(service, svc), { timeoutMs: 60_000 });
}

/** The health URL each service's compose health check polls, on its loopback port. */
function readyUrl(service: string): string {
  const env = envOf(compose.services[service] as ComposeService);
  const app = appOfImage(String(compose.services[service]?.['image']));
  if (app === 'proxy') return `http://127.0.0.1:${env['TSP_HEALTH_PORT']}/ready`;
  if (app === 'logdriver') return `http://127.0.0.1:${env['TSP_LOGDRIVER_PORT']}/ready`;
  return `http://127.0.0.1:${env['TSP_BROKER_PORT']}/live`;
}

beforeAll(async () => {
  requirePodman();
  built = await testImages();
  work = mkdtempSync(path.join(tmpdir(), 'tsp-compose-'));
  secretsDir = path.join(work, 'secrets');
  mkdirSync(secretsDir, { mode: 0o700 });
  const original = loadCompose();
  const plan = hostNetworkOverride(original, await Promise.all([0, 1, 2, 3, 4, 5].map(() => freePort())));
  writeFileSync(path.join(work, 'compose.host-network.yaml'), stringify(plan.override));
  compose = applyOverride(original, plan);
}, 20 * 60_000);

afterAll(async () => {
  await removeContainers(started);
  await removeVolumes([...volumes]);
  await built?.release();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

test('the guide\'s compose quick start: broker secrets, broker, admin API, the pair and its namespace holder, a Tenant Security Client, a clean stop', async () => {
  // 2. The broker's secrets, from the admin CLI in the broker image (stdout to the file).
  const cli = await runToEnd({ name: `${run}-broker-env`, image: built.refs['config-broker'], entrypoint: 'node', args: ['/app/dist/tools/admin-cli/main.js', 'broker-env'] });
  expect(cli.code).toBe(0);
  const brokerEnvFile = path.join(secretsDir, 'broker.env');
  writeFileSync(brokerEnvFile, cli.stdout, { mode: 0o600 });
  const brokerSecrets = parseEnvFile(cli.stdout);
  expect(Object.keys(brokerSecrets).sort()).toEqual(['TSP_BROKER_ADMIN_TOKEN', 'TSP_BROKER_MASTER_KEY', 'TSP_BROKER_SIGNING_KEY']);

  // 3-5. The services in compose's start order (depends_on): the broker, then the pair (its
  // namespace holder, the logdriver, the proxy). Before the first service that mounts the
  // service-account file: a tenant, its KMS config, a service account, the env file saved 644 in
  // the 700 directory (through the admin API of the broker, already running then).
  const order = startOrder(compose);
  const brokerUrl = envOf(compose.services['broker'] as ComposeService)['TSP_BROKER_PUBLIC_URL'] ?? '';
  const kek = randomBytes(32).toString('base64');
  let apiKey: string | undefined;
  const mountsServiceAccount = (svc: ComposeService): boolean => ((svc['secrets'] ?? []) as { source: string }[]).some((s) => s.source === 'service-account');
  for (const service of order) {
    const svc = compose.services[service] as ComposeService;
    if (apiKey === undefined && mountsServiceAccount(svc)) {
      expect({ before: service, running: await containerState(containerName('broker')) }).toMatchObject({ running: { running: true } });
      const admin = brokerAdminClient(brokerUrl, brokerSecrets['TSP_BROKER_ADMIN_TOKEN'] ?? '');
      expect((await admin('POST', '/tenants', { id: TENANT, name: 'Compose tenant', tags: ['prod'] })).status).toBe(201);
      expect((await admin('POST', `/tenants/${TENANT}/kms-configs`, { type: 'local', keyPath: { name: 'compose-kek' }, credentials: { kek }, active: true, primary: true })).status).toBe(201);
      const sa = await admin('POST', '/service-accounts', { id: 'sa-prod', name: 'production proxies', tenantTags: ['prod'] });
      expect(sa.status).toBe(201);
      const saFile = path.join(secretsDir, 'service-account.env');
      writeFileSync(saFile, String(sa.json['envFile']));
      chmodSync(saFile, 0o644);
      apiKey = parseEnvFile(String(sa.json['envFile']))['API_KEY'] ?? '';
    }
    await start(service);
    if (isNamespaceHolder(svc)) await waitUntil(async () => (await containerState(containerName(service)))?.running === true, 30_000, `${service} running`);
    else await waitForHttp(containerName(service), readyUrl(service), appOfImage(String(svc['image'])) === 'proxy' ? 90_000 : 60_000);
  }
  expect(order).toEqual(expect.arrayContaining(['broker', 'pair', 'logdriver', 'proxy']));
  if (apiKey === undefined) throw new Error('no service mounts the service-account file');
  const proxyEnv = envOf(compose.services['proxy'] as ComposeService);
  const health = (await (await fetch(`http://127.0.0.1:${proxyEnv['TSP_HEALTH_PORT']}/health`)).json()) as { status: string; config: { tenants: number } };
  expect(health).toMatchObject({ status: 'ok', config: { tenants: 1 } });

  // 6. The unmodified client against the proxy's API.
  const client = new TenantSecurityClient(`http://127.0.0.1:${proxyEnv['TSP_PORT']}`, apiKey);
  const meta = new DocumentMetadata(TENANT, 'compose-test', 'PII');
  const encrypted = await client.encryptDocument({ field: Buffer.from('through the compose stack') }, meta);
  const decrypted = await client.decryptDocument(encrypted, meta);
  expect(decrypted.plaintextDocument['field']?.toString()).toBe('through the compose stack');

  // The pair's events and the broker's ADMIN_* events both reach the logdriver (default sink: its stdout).
  await waitUntil(
    async () => {
      const out = (await podman(['logs', containerName('logdriver')])).stdout;
      return out.includes('"KMS_UNWRAP_KEY"') && out.includes('"KMS_WRAP_KEY"') && /"event":"ADMIN_[A-Z_]+"/.test(out);
    },
    20_000,
    'wrap, unwrap and admin events in the logdriver output',
  );

  // On the host network, every service listens on loopback only.
  const brokerEnv = envOf(compose.services['broker'] as ComposeService);
  const logdriverEnv = envOf(compose.services['logdriver'] as ComposeService);
  for (const port of [proxyEnv['TSP_PORT'], proxyEnv['TSP_HEALTH_PORT'], logdriverEnv['TSP_LOGDRIVER_PORT'], brokerEnv['TSP_BROKER_PORT']].map(Number)) {
    expect({ port, addresses: listenAddresses(port) }).toEqual({ port, addresses: ['127.0.0.1'] });
  }

  // Stop as compose does: the reverse of the start order (dependents first: the proxy before its
  // logdriver, the holder after both), each within its grace period, exiting 0; the holder at once.
  for (const service of [...order].reverse()) {
    const grace = Math.round(Number(String(compose.services[service]?.['stop_grace_period']).replace(/s$/, '')));
    const t0 = Date.now();
    await podmanOk(['stop', '-t', String(grace), containerName(service)], { timeoutMs: (grace + 10) * 1000 });
    expect({ service, promptly: Date.now() - t0 < (isNamespaceHolder(compose.services[service]) ? 5_000 : grace * 1000) }).toEqual({ service, promptly: true });
    expect({ service, state: await containerState(containerName(service)) }).toMatchObject({ service, state: { running: false, exitCode: 0 } });
  }
  const logs = [await containerLogs(containerName('broker'), 200), await containerLogs(containerName('proxy'), 200), await containerLogs(containerName('logdriver'), 200)].join('\n');
  // Only the NAMES of leaked secrets are reported (a failing toContain would print the secret).
  const secrets: Record<string, string | undefined> = { 'broker admin token': brokerSecrets['TSP_BROKER_ADMIN_TOKEN'], 'broker master key': brokerSecrets['TSP_BROKER_MASTER_KEY'], 'broker signing key': brokerSecrets['TSP_BROKER_SIGNING_KEY'], 'service-account API key': apiKey, 'tenant KEK': kek };
  const missing = Object.entries(secrets).filter(([, v]) => v === undefined || v.length < 16).map(([k]) => k);
  expect(missing).toEqual([]); // an empty "secret" would prove nothing
  const leaked = Object.entries(secrets).filter(([, v]) => v !== undefined && logs.includes(v)).map(([k]) => k);
  expect(leaked).toEqual([]);
});
