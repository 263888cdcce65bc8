import path from 'node:path';
import { generateEncodedKeyPair, parseEnvFile } from '@tsp/config-crypto';
import { parseBrokerConfig, SETTINGS as BROKER_SETTINGS } from '../../../apps/config-broker/src/broker-config';
import { CONFIG_SOURCE_SETTINGS, parseLogdriverConfig, SETTINGS as LOGDRIVER_SETTINGS } from '../../../apps/logdriver/src/logdriver-config';
import { parseProxyConfig, SETTINGS as PROXY_SETTINGS } from '../../../apps/proxy/src/proxy-config';
import { brokerEnvFile } from '../../admin-cli/src/broker-env';

/**
 * What the deployment files (docker/compose.yaml, docker/kubernetes/**) must agree with: each
 * app's settings (an unknown TSP_* variable makes it refuse to start), its ports, its health
 * routes, its image and Dockerfile. The apps' own SETTINGS tables and parsers are the source,
 * so a renamed setting or a changed default breaks these checks, not a deployment.
 */

export type AppName = 'proxy' | 'logdriver' | 'config-broker';

export const REPO_ROOT = path.join(__dirname, '..', '..', '..');
export const DOCKER_DIR = path.join(REPO_ROOT, 'docker');

/** Image names of the shared contract (docker/<app>.Dockerfile builds tsp-<app>). */
export const IMAGE_OF: Readonly<Record<AppName, string>> = { proxy: 'tsp-proxy', logdriver: 'tsp-logdriver', 'config-broker': 'tsp-config-broker' };

export function dockerfileOf(app: AppName): string {
  return path.join(DOCKER_DIR, `${app}.Dockerfile`);
}

/** The app an image reference runs (registry path and tag ignored), or undefined. */
export function appOfImage(image: string): AppName | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  const name = lastSegment.split(':')[0];
  return (Object.keys(IMAGE_OF) as AppName[]).find((a) => IMAGE_OF[a] === name);
}

/** What the official node slim images carry besides node, removed in every runtime stage. */
export const PACKAGE_MANAGER_PATHS: readonly string[] = [
  '/usr/local/lib/node_modules',
  '/usr/local/bin/npm',
  '/usr/local/bin/npx',
  '/usr/local/bin/corepack',
  '/usr/local/bin/yarn',
  '/usr/local/bin/yarnpkg',
  '/opt/yarn-v*',
];

/** The runtime stage (after the last FROM) with line continuations joined. */
function runtimeStage(dockerfileText: string): string {
  const stages = dockerfileText.split(/^FROM\s/m);
  return (stages[stages.length - 1] ?? '').replace(/\\\r?\n/g, ' ');
}

/**
 * Problems of the app's Dockerfile as the image it builds: it must exist, name the image (OCI
 * title label) as the deployment files do, and delete the base's package managers in its runtime
 * stage (`RUN rm -rf` of every PACKAGE_MANAGER_PATHS entry: -f, because the tests' local base has
 * none of them).
 */
export function dockerfileProblems(app: AppName, text: string | undefined): string[] {
  if (text === undefined) return [`docker/${app}.Dockerfile does not exist`];
  const problems: string[] = [];
  const title = /org\.opencontainers\.image\.title="([^"]*)"/.exec(text)?.[1];
  if (title !== IMAGE_OF[app]) problems.push(`docker/${app}.Dockerfile labels its image ${String(title)}, not ${IMAGE_OF[app]}`);
  const removed = new Set(
    runtimeStage(text)
      .split(/\r?\n/)
      .filter((l) => /^\s*RUN\s+rm\s+-(rf|fr)\s/.test(l))
      .flatMap((l) => l.trim().split(/\s+/).slice(3)),
  );
  const kept = PACKAGE_MANAGER_PATHS.filter((p) => !removed.has(p));
  if (kept.length > 0) problems.push(`docker/${app}.Dockerfile: the runtime stage keeps ${kept.join(' ')} (no package manager at run time: RUN rm -rf them)`);
  return problems;
}

/** The service-account file (or the broker's own variables) the deployment mounts; env names the app reads. */
const EXTRA_NAMES: Readonly<Record<AppName, readonly string[]>> = {
  proxy: ['API_KEY', 'API_KEY_2', 'LOGDRIVER_URL', 'TSP_SERVICE_ACCOUNT_FILE'],
  logdriver: ['TSP_SERVICE_ACCOUNT_FILE'],
  'config-broker': [],
};

/** Every environment variable name the app reads (anything else named TSP_* stops it, or is ignored at best). */
export function knownEnvNames(app: AppName): ReadonlySet<string> {
  const settings = app === 'proxy' ? PROXY_SETTINGS : app === 'logdriver' ? [...LOGDRIVER_SETTINGS, ...CONFIG_SOURCE_SETTINGS] : BROKER_SETTINGS;
  return new Set([...settings.map((s) => s.env), ...EXTRA_NAMES[app]]);
}

/** Health routes each app serves on its health port (proxy: TSP_HEALTH_PORT; others: their one port). */
export const HEALTH_ROUTES: Readonly<Record<AppName, { live: string; ready: string; all: readonly string[] }>> = {
  proxy: { live: '/live', ready: '/ready', all: ['/live', '/ready', '/health', '/metrics'] },
  logdriver: { live: '/live', ready: '/ready', all: ['/live', '/ready', '/health', '/metrics'] },
  // The broker has no /ready and no /metrics.
  'config-broker': { live: '/live', ready: '/live', all: ['/live'] },
};

/** The parts of an app's parsed configuration a deployment has to match. */
export interface ResolvedApp {
  app: AppName;
  host: string;
  /** Every port it listens on. */
  ports: readonly number[];
  healthPort: number;
  shutdownTimeoutMs: number;
  /** proxy: LOGDRIVER_URL ('' when unset). */
  logdriverUrl: string;
  /** logdriver: the spool directory. */
  spoolDir?: string;
  /** config-broker: the SQLite file, or undefined on PostgreSQL. */
  sqliteFile?: string;
  /** proxy: TSP_WORKERS. */
  workers?: number;
}

/** A service-account env file as the broker makes them (fresh keys; the URL is the deployment's). */
export function sampleServiceAccount(configUrl: string): Record<string, string> {
  return {
    TSP_SERVICE_CONFIG_ID: 'sa-check',
    API_KEY: Buffer.alloc(24, 7).toString('base64'),
    TSP_SA_ENCRYPTION_KEY: generateEncodedKeyPair('x25519').privateKey,
    TSP_SA_SIGNING_KEY: generateEncodedKeyPair('ed25519').privateKey,
    TSP_BROKER_PUBLIC_KEY: generateEncodedKeyPair('ed25519').publicKey,
    TSP_CONFIG_URL: configUrl,
  };
}

/** The broker's secrets as `tsp-admin broker-env` makes them. */
export function sampleBrokerSecrets(): Record<string, string> {
  return parseEnvFile(brokerEnvFile().text);
}

/**
 * Parses what the app would see, the service-account file's variables overlaid by the
 * environment the deployment sets (the environment wins, as in the apps), with the app's own
 * parser: throws the app's own startup error when it would refuse to start. First checks that
 * every variable of `env` is one the app knows (the file holds variables of the proxy and the
 * logdriver both; each reads its own).
 */
export function resolveApp(app: AppName, env: Readonly<Record<string, string>>, serviceAccountFile: Readonly<Record<string, string>> = {}): ResolvedApp {
  const known = knownEnvNames(app);
  const unknown = Object.keys(env).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`${app}: unknown variables ${unknown.join(', ')}`);
  env = { ...serviceAccountFile, ...env };
  if (app === 'proxy') {
    const c = parseProxyConfig(env);
    return { app, host: c.host, ports: [c.port, c.healthPort], healthPort: c.healthPort, shutdownTimeoutMs: c.shutdownTimeoutMs, logdriverUrl: c.logdriverUrl, workers: c.workers };
  }
  if (app === 'logdriver') {
    const c = parseLogdriverConfig(env);
    return { app, host: c.host, ports: [c.port], healthPort: c.port, shutdownTimeoutMs: c.shutdownTimeoutMs, logdriverUrl: '', spoolDir: c.spoolDir };
  }
  const c = parseBrokerConfig(env);
  return { app, host: c.host, ports: [c.port], healthPort: c.port, shutdownTimeoutMs: c.shutdownTimeoutMs, logdriverUrl: c.logdriverUrl, ...(c.database.kind === 'sqlite' ? { sqliteFile: c.database.file } : {}) };
}

/**
 * Variables the images set (ENV in docker/*.Dockerfile, the shared contract): the deployment
 * may rely on them. Read from the Dockerfile when it exists, so a change there is seen here.
 */
export function imageEnv(app: AppName, dockerfileText: string | undefined): Record<string, string> {
  if (dockerfileText === undefined) return {};
  const out: Record<string, string> = {};
  // The runtime stage is the last FROM; only its ENV lines count.
  for (const line of runtimeStage(dockerfileText).split(/\r?\n/)) {
    const m = /^\s*ENV\s+(.*)$/.exec(line);
    if (m === null) continue;
    const body = (m[1] ?? '').trim();
    const pairs = body.match(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g);
    if (pairs !== null) {
      for (const p of pairs) {
        const eq = p.indexOf('=');
        out[p.slice(0, eq)] = p.slice(eq + 1).replace(/^"(.*)"$/, '$1');
      }
    } else {
      const [k, ...rest] = body.split(/\s+/);
      if (k !== undefined) out[k] = rest.join(' ');
    }
  }
  // Only the app's own settings matter (NODE_ENV, PATH... are not ours).
  const known = knownEnvNames(app);
  for (const k of Object.keys(out)) if (!known.has(k) && !k.startsWith('TSP_')) delete out[k];
  return out;
}
