import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { AppName, appOfImage, DOCKER_DIR, dockerfileOf, dockerfileProblems, HEALTH_ROUTES, imageEnv, ResolvedApp, resolveApp, sampleBrokerSecrets, sampleServiceAccount } from './kubernetes-app-settings';

/**
 * Checks of docker/compose.yaml against the apps (as kubernetes-invariants.ts does for the
 * manifests): every service's variables are settings of its app and make it start, published
 * ports are the app's and on 127.0.0.1, health checks hit the app's health port and route, the
 * pair shares one network namespace owned by the logdriver, data lives on named volumes, the
 * service-account file is mounted where TSP_SERVICE_ACCOUNT_FILE says, and every service is
 * locked down with a stop grace period longer than its app's shutdown timeout.
 */

export const COMPOSE_FILE = path.join(DOCKER_DIR, 'compose.yaml');

export type ComposeFile = { services: Record<string, ComposeService>; secrets?: Record<string, { file?: string }>; volumes?: Record<string, unknown> } & Record<string, unknown>;
export type ComposeService = Record<string, unknown>;

/** `${NAME:-default}` and `${NAME}` as compose interpolates them (from `vars`). */
export function interpolate(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, dflt: string | undefined) => vars[name] ?? dflt ?? '');
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  return value;
}

/** The compose file as compose sees it: YAML merge keys resolved, variables interpolated, x-* dropped. */
export function loadCompose(file = COMPOSE_FILE, vars: Readonly<Record<string, string>> = {}): ComposeFile {
  const raw = parse(readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true }) as Record<string, unknown>;
  const out = interpolate(Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('x-'))), vars) as ComposeFile;
  return out;
}

/** Compose durations: "30s", "1m30s", "500ms". */
export function durationMs(d: unknown): number {
  const s = String(d);
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(s)) !== null) {
    consumed += m[0].length;
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  if (consumed !== s.length || s.length === 0) throw new Error(`not a compose duration: ${s}`);
  return total;
}

function envOf(svc: ComposeService): Record<string, string> {
  const e = svc['environment'];
  if (Array.isArray(e)) return Object.fromEntries(e.map((x) => String(x).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries((e ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** "127.0.0.1:7777:7777" → host IP, host port, container port. */
export function parsePort(p: unknown): { ip: string; host: number; container: number } | undefined {
  const m = /^(?:([\d.]+|\[[0-9a-f:]+\]):)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(p));
  return m === null ? undefined : { ip: m[1] ?? '', host: Number(m[2]), container: Number(m[3]) };
}

export interface ComposeServiceCheck {
  name: string;
  app: AppName;
  resolved: ResolvedApp | undefined;
}

/** Every problem of a compose file ([] when all is well). */
export function checkCompose(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  const checks: ComposeServiceCheck[] = [];
  const broker = Object.entries(services).find(([, s]) => appOfImage(String(s['image'])) === 'config-broker');
  const brokerPublicUrl = broker === undefined ? '' : (envOf(broker[1])['TSP_BROKER_PUBLIC_URL'] ?? '');

  for (const [name, svc] of Object.entries(services)) {
    const app = appOfImage(String(svc['image']));
    if (app === undefined) {
      problems.push(`${name}: image ${String(svc['image'])} is none of tsp-proxy, tsp-logdriver, tsp-config-broker`);
      continue;
    }
    const build = svc['build'] as Record<string, unknown> | undefined;
    if (build === undefined || path.resolve(DOCKER_DIR, String(build['context'])) !== path.dirname(DOCKER_DIR) || path.resolve(path.dirname(DOCKER_DIR), String(build['dockerfile'])) !== dockerfileOf(app)) {
      problems.push(`${name}: build must be context .. with dockerfile docker/${app}.Dockerfile`);
    }
    const dockerfile = existsSync(dockerfileOf(app)) ? readFileSync(dockerfileOf(app), 'utf8') : undefined;
    for (const p of dockerfileProblems(app, dockerfile)) problems.push(`${name}: ${p}`);

    // Hardening.
    if (svc['read_only'] !== true) problems.push(`${name}: read_only is not true`);
    const capDrop = svc['cap_drop'];
    if (!Array.isArray(capDrop) || !capDrop.includes('ALL') || svc['cap_add'] !== undefined) problems.push(`${name}: capabilities are not all dropped`);
    if (!((svc['security_opt'] ?? []) as unknown[]).includes('no-new-privileges:true')) problems.push(`${name}: no-new-privileges is not set`);
    if (svc['privileged'] === true || (svc['user'] !== undefined && !/^10001(:10001)?$/.test(String(svc['user'])))) problems.push(`${name}: must run as the image's user 10001, unprivileged`);
    if (svc['restart'] === undefined || svc['restart'] === 'no') problems.push(`${name}: no restart policy`);

    // Variables: the environment wins over env_file; the service-account file is read by the app.
    const env = envOf(svc);
    const envFiles = ([] as unknown[]).concat(svc['env_file'] ?? []).map(String);
    const fromEnvFiles: Record<string, string> = {};
    for (const f of envFiles) {
      if (path.resolve(DOCKER_DIR, f) === path.join(DOCKER_DIR, 'secrets', 'broker.env') && app === 'config-broker') Object.assign(fromEnvFiles, sampleBrokerSecrets());
      else problems.push(`${name}: env_file ${f} is not one this check knows (secrets/broker.env of the broker)`);
    }
    let saVars: Record<string, string> = {};
    const saPath = env['TSP_SERVICE_ACCOUNT_FILE'];
    if (saPath !== undefined) {
      const mounted = ((svc['secrets'] ?? []) as unknown[]).some((s) => {
        if (typeof s !== 'object' || s === null) return false;
        const r = s as Record<string, unknown>;
        return r['target'] === saPath && compose.secrets?.[String(r['source'])]?.file === './secrets/service-account.env';
      });
      if (!mounted) problems.push(`${name}: TSP_SERVICE_ACCOUNT_FILE ${saPath} is not the mounted secret ./secrets/service-account.env`);
      saVars = sampleServiceAccount(`${brokerPublicUrl}/api/v1/config-document`);
    }
    let resolved: ResolvedApp | undefined;
    try {
      resolved = resolveApp(app, { ...imageEnv(app, dockerfile), ...fromEnvFiles, ...env }, saVars);
    } catch (e) {
      problems.push(`${name}: the ${app} would not start: ${(e as Error).message}`);
    }
    checks.push({ name, app, resolved });
    if (resolved === undefined) continue;

    const grace = svc['stop_grace_period'] === undefined ? 10_000 : durationMs(svc['stop_grace_period']);
    if (!(grace > resolved.shutdownTimeoutMs)) problems.push(`${name}: stop_grace_period ${grace / 1000} s is not longer than the ${app}'s shutdown timeout (${resolved.shutdownTimeoutMs / 1000} s)`);

    const hc = svc['healthcheck'] as Record<string, unknown> | undefined;
    const test = Array.isArray(hc?.['test']) ? (hc?.['test'] as unknown[]).join(' ') : '';
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec(test);
    if (url === null) problems.push(`${name}: no health check against http://127.0.0.1:<port>/<route>`);
    else if (Number(url[1]) !== resolved.healthPort || url[2] !== HEALTH_ROUTES[app].ready) problems.push(`${name}: health check ${url[0]}, the ${app} serves ${HEALTH_ROUTES[app].ready} on ${resolved.healthPort}`);

    const volumes = ((svc['volumes'] ?? []) as unknown[]).map((v) => String(v).split(':'));
    const dataDir = app === 'logdriver' ? resolved.spoolDir : app === 'config-broker' && resolved.sqliteFile !== undefined ? path.posix.dirname(resolved.sqliteFile) : undefined;
    if (dataDir !== undefined && !volumes.some(([source, target]) => target === dataDir && source !== undefined && compose.volumes !== undefined && source in compose.volumes)) {
      problems.push(`${name}: ${dataDir} is not on a named volume (read_only: true and data that must survive a restart)`);
    }
  }

  // The pair: one network namespace, owned by the logdriver (started first, stopped last).
  for (const proxy of checks.filter((c) => c.app === 'proxy')) {
    const svc = services[proxy.name] as ComposeService;
    const owner = /^service:(.+)$/.exec(String(svc['network_mode'] ?? ''))?.[1];
    const logdriver = checks.find((c) => c.name === owner);
    if (logdriver?.app !== 'logdriver') {
      problems.push(`${proxy.name}: must join its logdriver's network namespace (network_mode: service:<logdriver>), so that compose stops the logdriver after the proxy`);
      continue;
    }
    if (!Object.keys((svc['depends_on'] ?? {}) as Record<string, unknown>).includes(logdriver.name)) problems.push(`${proxy.name}: does not depend on ${logdriver.name}`);
    if (proxy.resolved !== undefined && logdriver.resolved !== undefined && proxy.resolved.logdriverUrl !== `http://127.0.0.1:${logdriver.resolved.healthPort}`) {
      problems.push(`${proxy.name}: LOGDRIVER_URL ${proxy.resolved.logdriverUrl} is not its logdriver (http://127.0.0.1:${logdriver.resolved.healthPort})`);
    }
    if (broker !== undefined && !Object.keys((svc['depends_on'] ?? {}) as Record<string, unknown>).includes(broker[0])) problems.push(`${proxy.name}: does not wait for the broker (it exits when its config source is unreachable at start)`);
    if (svc['ports'] !== undefined) problems.push(`${proxy.name}: ports must be published on the namespace owner ${logdriver.name}`);
  }

  // Published ports: 127.0.0.1 only; each is a port of an app in that namespace; never the logdriver's intake.
  for (const [name, svc] of Object.entries(services)) {
    const inNamespace = checks.filter((c) => c.name === name || String(services[c.name]?.['network_mode']) === `service:${name}`);
    const listening = new Map(inNamespace.flatMap((c) => (c.resolved?.ports ?? []).map((p) => [p, c.app] as const)));
    for (const p of (svc['ports'] ?? []) as unknown[]) {
      const port = parsePort(p);
      if (port === undefined) problems.push(`${name}: port ${String(p)} must be host-ip:host-port:container-port`);
      else {
        if (port.ip !== '127.0.0.1') problems.push(`${name}: port ${String(p)} is not published on 127.0.0.1`);
        if (!listening.has(port.container)) problems.push(`${name}: port ${port.container} is no port of ${inNamespace.map((c) => c.app).join(', ')}`);
        if (listening.get(port.container) === 'logdriver') problems.push(`${name}: publishes the logdriver's unauthenticated intake (${port.container})`);
      }
    }
  }
  for (const c of checks.filter((x) => x.app === 'proxy')) {
    const owner = /^service:(.+)$/.exec(String(services[c.name]?.['network_mode'] ?? ''))?.[1] ?? c.name;
    const published = ((services[owner]?.['ports'] ?? []) as unknown[]).map((p) => parsePort(p)?.container);
    for (const p of c.resolved?.ports ?? []) if (!published.includes(p)) problems.push(`${c.name}: port ${p} is not published`);
  }

  // The broker: what service-account files name is reachable from the pair; admin events reach a logdriver.
  if (broker !== undefined) {
    const b = checks.find((c) => c.name === broker[0])?.resolved;
    const u = new URL(brokerPublicUrl || 'http://127.0.0.1:9500');
    if (u.hostname !== broker[0] || Number(u.port || 80) !== b?.healthPort) problems.push(`${broker[0]}: TSP_BROKER_PUBLIC_URL ${brokerPublicUrl} is not how the pair reaches it (http://${broker[0]}:${String(b?.healthPort)})`);
    if (b !== undefined && b.logdriverUrl !== '') {
      const l = new URL(b.logdriverUrl);
      const target = checks.find((c) => c.name === l.hostname);
      if (target?.app !== 'logdriver' || target.resolved?.healthPort !== Number(l.port || 80)) problems.push(`${broker[0]}: TSP_BROKER_LOGDRIVER_URL ${b.logdriverUrl} is not a logdriver service`);
    }
  }
  return problems;
}
