import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DEV_FAKE_PORTS, DevFakePorts, DevFakesSetup, devFakeCommands, ensureDevFakes } from '@tsp/dev-environment';
import { BrokerAdminApi, brokerLive } from './broker-admin-api';
import { devBrokerPaths, ensureBrokerSecrets, fileDocumentTenants, isBrokerServiceAccount, readEnvFile, retireFileDocumentServiceAccount } from './broker-files';
import { newDemoTenants, seedBroker } from './demo-seed';
import { Supervisor } from './supervisor';

/**
 * `npm start`: the embedded default. Runs the configuration broker (127.0.0.1:9500, SQLite in
 * var/dev), seeded through its admin API with the demo tenants on the first run; the proxy
 * (127.0.0.1:7777, health 9000) and the logdriver (9001), both fetching their config from the
 * broker over HTTP with a service account it issued (long-poll: a change arrives within about a
 * second); and the three loopback cloud KMS fakes. Keeps them all running (restarts a child that
 * dies). A var/dev made when the stack ran on a file document gets the broker part, seeded with
 * the same configs (same ids, same keys), so its EDEKs keep working.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const out = (s: string): void => void process.stderr.write(`[dev-stack] ${s}\n`);
const supervisor = new Supervisor(out);
const BROKER_START_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    out('stopping');
    void supervisor.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const dir = path.resolve(process.env['TSP_DEV_DIR'] ?? path.join(ROOT, 'var', 'dev'));
  const varDir = process.env['TSP_DEV_DIR'] !== undefined ? dir : path.join(ROOT, 'var');
  const envKey = nonEmpty(process.env['API_KEY']);
  const port = process.env['TSP_PORT'] ?? '7777';
  const healthPort = process.env['TSP_HEALTH_PORT'] ?? '9000';
  const logdriverPort = process.env['TSP_LOGDRIVER_PORT'] ?? '9001';
  const brokerPort = process.env['TSP_BROKER_PORT'] ?? '9500';
  const brokerUrl = `http://127.0.0.1:${brokerPort}`;

  const paths = devBrokerPaths(dir);
  const newDir = !existsSync(paths.serviceAccountFile) && !existsSync(paths.dbFile) && !existsSync(paths.fileDocumentTenantsFile);
  const oldTenants = fileDocumentTenants(paths);
  const secrets = ensureBrokerSecrets(paths);
  // A dir made before the cloud KMS fakes existed (a file document without them) stays without.
  const fakes: DevFakesSetup | undefined = existsSync(path.join(dir, 'fakes', 'setup.json')) || oldTenants === undefined ? ensureDevFakes(dir, fakePorts()) : undefined;
  const saEnv = readEnvFile(paths.serviceAccountFile);
  const needsSeed = !existsSync(paths.dbFile) || !isBrokerServiceAccount(saEnv);

  supervisor.start({
    name: 'config-broker',
    script: path.join(ROOT, 'dist', 'apps', 'config-broker', 'main.js'),
    env: childEnv({
      ...(process.env['TSP_BROKER_LOG_LEVEL'] !== undefined ? { TSP_BROKER_LOG_LEVEL: process.env['TSP_BROKER_LOG_LEVEL'] } : {}),
      TSP_BROKER_HOST: '127.0.0.1',
      TSP_BROKER_PORT: brokerPort,
      TSP_BROKER_DB: paths.dbFile,
      TSP_BROKER_MASTER_KEY: secrets.masterKey,
      TSP_BROKER_SIGNING_KEY: secrets.signingKey,
      TSP_BROKER_ADMIN_TOKEN: secrets.adminToken,
      TSP_BROKER_PUBLIC_URL: brokerUrl,
      // Every admin change reaches its tenant's events (var/events/<tenantId>.ndjson) as an ADMIN_* event.
      TSP_BROKER_LOGDRIVER_URL: `http://127.0.0.1:${logdriverPort}`,
    }),
  });
  await waitForBroker(brokerUrl);

  if (needsSeed) {
    // The API key clients already use (an older dev dir's, or one from API_KEY) is kept.
    const keepKey = envKey ?? saEnv?.['API_KEY'] ?? readEnvFile(paths.fileDocumentServiceAccountFile)?.['API_KEY'];
    if (retireFileDocumentServiceAccount(paths)) out(`the file-document service account moved to ${paths.fileDocumentServiceAccountFile}`);
    const tenants = oldTenants ?? (await newDemoTenants(fakes));
    out(`seeding the configuration broker through its admin API: ${tenants.length} demo tenants${oldTenants !== undefined ? ` from ${paths.fileDocumentTenantsFile} (same KMS config ids and keys)` : ''}, one service account`);
    await seedBroker(new BrokerAdminApi(brokerUrl, secrets.adminToken), paths, tenants, nonEmpty(keepKey));
  }

  if (newDir) out(`created the development environment in ${dir} (generated dev keys; never use them in production)`);
  out(`Configuration broker: ${brokerUrl}   admin page: ${brokerUrl}/admin   API: ${brokerUrl}/api/v1 (Authorization: Bearer <token in ${paths.adminTokenFile}>)`);
  out(`Tenant Security Proxy: http://127.0.0.1:${port}   health: http://127.0.0.1:${healthPort}/health`);
  out(`API key: ${envKey !== undefined ? 'from API_KEY' : `API_KEY in ${paths.serviceAccountFile}`}`);
  out('Demo tenants: demo-tenant-1 (config 101, primary), demo-tenant-2 (201, primary with key leasing), demo-tenant-combo (no primary: 301 active, 302 disabled)');
  if (fakes !== undefined) out('Cloud demo tenants: demo-tenant-aws (401), demo-tenant-gcp (501), demo-tenant-azure (601), each on its loopback KMS fake (the GCP and Azure fakes keep keys in memory only)');
  else out(`No cloud KMS fakes in ${dir} (made before they existed): delete the directory to get them`);
  out(`Point a client at it, e.g. Node: new TenantSecurityClient("http://127.0.0.1:${port}", "<API key>")`);
  const eventsDir = path.join(varDir, 'events');
  out(`Security events: the logdriver (http://127.0.0.1:${logdriverPort}/health) spools them under ${path.join(varDir, 'spool')} and writes ${eventsDir}/<tenantId>.ndjson`);

  // The proxy and the logdriver fetch from the broker at its current port (the environment wins over the file).
  const fromBroker = { TSP_SERVICE_ACCOUNT_FILE: paths.serviceAccountFile, TSP_CONFIG_URL: `${brokerUrl}/api/v1/config-document` };
  supervisor.start({
    name: 'logdriver',
    script: path.join(ROOT, 'dist', 'apps', 'logdriver', 'main.js'),
    // Each demo tenant's logging config is the file sink; tenants without one also go to the files.
    env: childEnv({
      ...fromBroker,
      TSP_LOGDRIVER_PORT: logdriverPort,
      TSP_LOGDRIVER_SPOOL_DIR: path.join(varDir, 'spool'),
      TSP_LOGDRIVER_EVENTS_DIR: eventsDir,
      TSP_LOGDRIVER_DEFAULT_SINK: 'file',
    }),
  });
  const proxyEnv: Record<string, string> = { ...fromBroker, TSP_HOST: process.env['TSP_HOST'] ?? '127.0.0.1', LOGDRIVER_URL: `http://127.0.0.1:${logdriverPort}` };
  if (fakes !== undefined) {
    for (const f of devFakeCommands(fakes)) {
      supervisor.start({ name: f.name, script: path.join(ROOT, 'dist', 'tools', 'fakes', f.name.replace(/^fake-/, ''), 'main.js'), args: f.args, env: childEnv({}) });
    }
    // The Azure fake's authority is https (MSAL requires it): the proxy trusts its certificate.
    proxyEnv['NODE_EXTRA_CA_CERTS'] = fakes.azure.certFile;
  }
  supervisor.start({ name: 'proxy', script: path.join(ROOT, 'dist', 'apps', 'proxy', 'main.js'), env: childEnv(proxyEnv) });
}

/** Waits until the broker answers /live (the supervisor restarts it if it dies meanwhile). */
async function waitForBroker(url: string): Promise<void> {
  const end = Date.now() + BROKER_START_TIMEOUT_MS;
  while (!(await brokerLive(url))) {
    if (Date.now() > end) throw new Error(`the configuration broker did not answer ${url}/live within ${BROKER_START_TIMEOUT_MS / 1000} s (see its messages above)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The environment for children: ours, less the dev-stack's own settings and any TSP_BROKER_*
 * (the proxy refuses unknown TSP_ variables; the broker gets its settings explicitly), plus `extra`.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TSP_DEV_') || k.startsWith('TSP_BROKER_')) delete env[k];
  return { ...env, ...extra };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** TSP_DEV_FAKE_PORTS="aws,gcp,azure" (used when the fakes' settings are first made). */
function fakePorts(): DevFakePorts {
  const raw = process.env['TSP_DEV_FAKE_PORTS'];
  if (raw === undefined || raw === '') return DEFAULT_DEV_FAKE_PORTS;
  const [aws, gcp, azure] = raw.split(',').map(Number);
  if (![aws, gcp, azure].every((p) => Number.isInteger(p) && p > 0 && p < 65536)) throw new Error('TSP_DEV_FAKE_PORTS must be three ports: aws,gcp,azure');
  return { aws, gcp, azure };
}

main().catch(async (e: unknown) => {
  process.stderr.write(`dev-stack: ${(e as Error).message}\n`);
  await supervisor.stop();
  process.exit(1);
});
