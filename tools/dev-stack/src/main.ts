import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DEV_FAKE_PORTS, DevFakePorts, devFakeCommands, ensureDevEnvironment, ensureDevFakes } from '@tsp/dev-environment';
import { Supervisor } from './supervisor';

/**
 * `npm start`: the embedded default. Creates var/dev on first run (keys, demo tenants, signed
 * config document, settings of the cloud KMS fakes), then runs the three loopback cloud KMS
 * fakes, the logdriver (127.0.0.1:9001; spool and per-tenant event files under var/) and the
 * proxy on 127.0.0.1:7777 (health 9000), and keeps them all running.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const dir = path.resolve(process.env['TSP_DEV_DIR'] ?? path.join(ROOT, 'var', 'dev'));
  const envKey = process.env['API_KEY'];
  const { env, created } = await ensureDevEnvironment(dir, envKey !== undefined && envKey !== '' ? envKey : undefined, fakePorts());
  const apiKey = envKey !== undefined && envKey !== '' ? envKey : env.apiKey;
  const port = process.env['TSP_PORT'] ?? '7777';
  const out = (s: string): void => void process.stderr.write(`[dev-stack] ${s}\n`);

  if (created) out(`created the development environment in ${dir} (generated dev keys; never use them in production)`);
  out(`API key: ${apiKey}${envKey ? ' (from API_KEY)' : ` (saved in ${env.serviceAccountFile})`}`);
  out(`Tenant Security Proxy: http://127.0.0.1:${port}   health: http://127.0.0.1:${process.env['TSP_HEALTH_PORT'] ?? '9000'}/health`);
  out('Demo tenants: demo-tenant-1 (primary config), demo-tenant-2 (primary config with key leasing), demo-tenant-combo (no primary; one active, one disabled config)');
  const withFakes = existsSync(path.join(dir, 'fakes', 'setup.json'));
  if (withFakes) out('Cloud demo tenants: demo-tenant-aws, demo-tenant-gcp, demo-tenant-azure (each on its loopback KMS fake; the GCP and Azure fakes keep keys in memory only)');
  else out(`No cloud KMS fakes in ${dir} (made before they existed): delete the directory to get them`);
  out(`Point a client at it, e.g. Node: new TenantSecurityClient("http://127.0.0.1:${port}", "<API key>")`);
  const varDir = process.env['TSP_DEV_DIR'] !== undefined ? dir : path.join(ROOT, 'var');
  const eventsDir = path.join(varDir, 'events');
  const logdriverPort = process.env['TSP_LOGDRIVER_PORT'] ?? '9001';
  out(`Security events: the logdriver (http://127.0.0.1:${logdriverPort}/health) spools them under ${path.join(varDir, 'spool')} and writes ${eventsDir}/<tenantId>.ndjson`);

  const supervisor = new Supervisor(out);
  const proxyEnv: Record<string, string> = {
    TSP_SERVICE_ACCOUNT_FILE: env.serviceAccountFile,
    TSP_HOST: process.env['TSP_HOST'] ?? '127.0.0.1',
    LOGDRIVER_URL: `http://127.0.0.1:${logdriverPort}`,
  };
  supervisor.start({
    name: 'logdriver',
    script: path.join(ROOT, 'dist', 'apps', 'logdriver', 'main.js'),
    // The logdriver opens the same config document as the proxy (each demo tenant's logging
    // config is the file sink); tenants without one also go to the files.
    env: childEnv({
      TSP_SERVICE_ACCOUNT_FILE: env.serviceAccountFile,
      TSP_LOGDRIVER_PORT: logdriverPort,
      TSP_LOGDRIVER_SPOOL_DIR: path.join(varDir, 'spool'),
      TSP_LOGDRIVER_EVENTS_DIR: eventsDir,
      TSP_LOGDRIVER_DEFAULT_SINK: 'file',
    }),
  });
  if (withFakes) {
    const fakes = ensureDevFakes(dir);
    for (const f of devFakeCommands(fakes)) {
      supervisor.start({ name: f.name, script: path.join(ROOT, 'dist', 'tools', 'fakes', f.name.replace(/^fake-/, ''), 'main.js'), args: f.args, env: childEnv({}) });
    }
    // The Azure fake's authority is https (MSAL requires it): the proxy trusts its certificate.
    proxyEnv['NODE_EXTRA_CA_CERTS'] = fakes.azure.certFile;
  }
  supervisor.start({ name: 'proxy', script: path.join(ROOT, 'dist', 'apps', 'proxy', 'main.js'), env: childEnv(proxyEnv) });
  const stop = (): void => {
    out('stopping');
    void supervisor.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The environment for children: ours, less the dev-stack's own settings, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['TSP_DEV_DIR'];
  delete env['TSP_DEV_FAKE_PORTS'];
  return env;
}

/** TSP_DEV_FAKE_PORTS="aws,gcp,azure" (used when the environment is first made). */
function fakePorts(): DevFakePorts {
  const raw = process.env['TSP_DEV_FAKE_PORTS'];
  if (raw === undefined || raw === '') return DEFAULT_DEV_FAKE_PORTS;
  const [aws, gcp, azure] = raw.split(',').map(Number);
  if (![aws, gcp, azure].every((p) => Number.isInteger(p) && p > 0 && p < 65536)) throw new Error('TSP_DEV_FAKE_PORTS must be three ports: aws,gcp,azure');
  return { aws, gcp, azure };
}

main().catch((e: unknown) => {
  process.stderr.write(`dev-stack: ${(e as Error).message}\n`);
  process.exit(1);
});
