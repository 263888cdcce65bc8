import path from 'node:path';
import { ensureDevEnvironment } from '@tsp/dev-environment';
import { Supervisor } from './supervisor';

/**
 * `npm start`: the embedded default. Creates var/dev on first run (keys, demo tenants, signed
 * config document), then runs the proxy on 127.0.0.1:7777 (health 9000) and keeps it running.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const dir = path.resolve(process.env['TSP_DEV_DIR'] ?? path.join(ROOT, 'var', 'dev'));
  const envKey = process.env['API_KEY'];
  const { env, created } = await ensureDevEnvironment(dir, envKey !== undefined && envKey !== '' ? envKey : undefined);
  const apiKey = envKey !== undefined && envKey !== '' ? envKey : env.apiKey;
  const port = process.env['TSP_PORT'] ?? '7777';
  const out = (s: string): void => void process.stderr.write(`[dev-stack] ${s}\n`);

  if (created) out(`created the development environment in ${dir} (generated dev keys; never use them in production)`);
  out(`API key: ${apiKey}${envKey ? ' (from API_KEY)' : ` (saved in ${env.serviceAccountFile})`}`);
  out(`Tenant Security Proxy: http://127.0.0.1:${port}   health: http://127.0.0.1:${process.env['TSP_HEALTH_PORT'] ?? '9000'}/health`);
  out('Demo tenants: demo-tenant-1 (primary config), demo-tenant-2 (primary config with key leasing), demo-tenant-combo (no primary; one active, one disabled config)');
  out(`Point a client at it, e.g. Node: new TenantSecurityClient("http://127.0.0.1:${port}", "<API key>")`);
  out('Security events are printed below as JSON lines (until the logdriver is configured).');

  const supervisor = new Supervisor(out);
  supervisor.start({
    name: 'proxy',
    script: path.join(ROOT, 'dist', 'apps', 'proxy', 'main.js'),
    env: childEnv({ TSP_SERVICE_ACCOUNT_FILE: env.serviceAccountFile, TSP_HOST: process.env['TSP_HOST'] ?? '127.0.0.1' }),
  });
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
  return env;
}

main().catch((e: unknown) => {
  process.stderr.write(`dev-stack: ${(e as Error).message}\n`);
  process.exit(1);
});
