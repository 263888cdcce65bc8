import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { AppName, appOfImage, DOCKER_DIR, dockerfileOf, dockerfileProblems, HEALTH_ROUTES, imageEnv, ResolvedApp, resolveApp, sampleBrokerSecrets, sampleServiceAccount } from './kubernetes-app-settings';

/**
 * Checks of docker/compose.yaml against the apps (as kubernetes-invariants.ts does for the
 * manifests): every service's variables are settings of its app and make it start, published
 * ports are the app's and on 127.0.0.1, health checks hit the app's health port and route, the
 * pair shares one network namespace held by a service that runs no app (a restarted logdriver or
 * proxy must never take the namespace down under the other), the proxy stops before its
 * logdriver, data lives on named volumes, the service-account file is mounted where
 * TSP_SERVICE_ACCOUNT_FILE says, and every service is locked down with a stop grace period
 * longer than its app's shutdown timeout.
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

/** depends_on in either syntax (a list of names, or a map of name → {condition, restart}). */
export function dependsOn(svc: ComposeService | undefined): Record<string, Record<string, unknown>> {
  const d = svc?.['depends_on'];
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [String(n), { condition: 'service_started' }]));
  return Object.fromEntries(Object.entries((d ?? {}) as Record<string, unknown>).map(([k, v]) => [k, (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>]));
}

/** The service whose network namespace `svc` joins (network_mode "service:<name>"), if any. */
export function namespaceOwner(svc: ComposeService | undefined): string | undefined {
  return /^service:(.+)$/.exec(String(svc?.['network_mode'] ?? ''))?.[1];
}

/**
 * A namespace holder: a service running one of the images with its entrypoint replaced by a
 * `node -e` script that only waits (compose's equivalent of a pod's pause container). It runs no
 * app, so the app checks do not apply to it; checkHolder's do.
 */
export function isNamespaceHolder(svc: ComposeService | undefined): boolean {
  return svc !== undefined && svc['entrypoint'] !== undefined;
}

/** The holder's `node -e` script, or undefined when its entrypoint is something else. */
export function holderScript(svc: ComposeService): string | undefined {
  const e = svc['entrypoint'];
  return Array.isArray(e) && e.length === 3 && e[0] === 'node' && e[1] === '-e' && typeof e[2] === 'string' ? e[2] : undefined;
}

function checkHolder(name: string, svc: ComposeService, services: Record<string, ComposeService>, problems: string[]): void {
  if (holderScript(svc) === undefined) problems.push(`${name}: replaces the entrypoint with ${JSON.stringify(svc['entrypoint'])}; only a namespace holder may, as ["node", "-e", "<wait until SIGTERM>"]`);
  if (svc['command'] !== undefined) problems.push(`${name}: a namespace holder takes no command`);
  for (const k of ['environment', 'env_file', 'secrets', 'volumes', 'network_mode']) {
    if (svc[k] !== undefined) problems.push(`${name}: a namespace holder has no ${k} (it holds the namespace and nothing else)`);
  }
  if (Object.keys(dependsOn(svc)).length > 0) problems.push(`${name}: a namespace holder depends on nothing (compose would restart or stop it with ${Object.keys(dependsOn(svc)).join(', ')}, and the namespace with it)`);
  if ((svc['healthcheck'] as Record<string, unknown> | undefined)?.['disable'] !== true) problems.push(`${name}: a namespace holder needs healthcheck disable: true (the image's own would probe an app in its namespace)`);
  if (svc['build'] !== undefined || !Object.values(services).some((o) => o !== svc && o['image'] === svc['image'] && o['build'] !== undefined)) {
    problems.push(`${name}: a namespace holder builds nothing; its image ${String(svc['image'])} must be the one another service builds`);
  }
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
  const broker = Object.entries(services).find(([, s]) => !isNamespaceHolder(s) && appOfImage(String(s['image'])) === 'config-broker');
  const brokerPublicUrl = broker === undefined ? '' : (envOf(broker[1])['TSP_BROKER_PUBLIC_URL'] ?? '');

  for (const [name, svc] of Object.entries(services)) {
    const app = appOfImage(String(svc['image']));
    if (app === undefined) {
      problems.push(`${name}: image ${String(svc['image'])} is none of tsp-proxy, tsp-logdriver, tsp-config-broker`);
      continue;
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
    if (namespaceOwner(svc) !== undefined && svc['ports'] !== undefined) problems.push(`${name}: joins the namespace of ${String(namespaceOwner(svc))}, so its ports must be published there`);

    if (isNamespaceHolder(svc)) {
      checkHolder(name, svc, services, problems);
      continue;
    }
    const build = svc['build'] as Record<string, unknown> | undefined;
    if (build === undefined || path.resolve(DOCKER_DIR, String(build['context'])) !== path.dirname(DOCKER_DIR) || path.resolve(path.dirname(DOCKER_DIR), String(build['dockerfile'])) !== dockerfileOf(app)) {
      problems.push(`${name}: build must be context .. with dockerfile docker/${app}.Dockerfile`);
    }

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

  // The pair: the proxy and its logdriver join one network namespace held by a service that runs
  // no app. Owned by either app, a restart of that app (crash, OOM kill, `compose restart`) would
  // leave the other in the dead container's namespace (docker/compose#7765, moby/moby#24935).
  // The proxy depends on its logdriver, so compose stops the proxy first (its last events still
  // have somewhere to go); both depend on the holder with restart: true, so when compose restarts
  // the holder it restarts them into the new namespace.
  for (const proxy of checks.filter((c) => c.app === 'proxy')) {
    const svc = services[proxy.name] as ComposeService;
    const owner = namespaceOwner(svc);
    if (owner === undefined || !isNamespaceHolder(services[owner])) {
      const ownerApp = checks.find((c) => c.name === owner)?.app;
      problems.push(
        ownerApp !== undefined
          ? `${proxy.name}: joins the network namespace of ${String(owner)}, a ${ownerApp}: when it restarts, the proxy is left in a dead namespace; the pair must join a service that only holds the namespace`
          : `${proxy.name}: must share a network namespace with its logdriver, held by a service that runs no app (network_mode: service:<holder>)`,
      );
      continue;
    }
    const logdriver = checks.find((c) => c.app === 'logdriver' && namespaceOwner(services[c.name]) === owner);
    if (logdriver === undefined) {
      problems.push(`${proxy.name}: no logdriver joins its namespace (network_mode: service:${owner})`);
      continue;
    }
    const deps = dependsOn(svc);
    if (deps[logdriver.name] === undefined) problems.push(`${proxy.name}: does not depend on ${logdriver.name}, so compose would not stop the proxy first and its last events would have nowhere to go`);
    for (const member of [proxy.name, logdriver.name]) {
      if (dependsOn(services[member])[owner]?.['restart'] !== true) problems.push(`${member}: depends_on ${owner} without restart: true (when compose restarts ${owner}, ${member} would stay in the old namespace)`);
    }
    if (proxy.resolved !== undefined && logdriver.resolved !== undefined && proxy.resolved.logdriverUrl !== `http://127.0.0.1:${logdriver.resolved.healthPort}`) {
      problems.push(`${proxy.name}: LOGDRIVER_URL ${proxy.resolved.logdriverUrl} is not its logdriver (http://127.0.0.1:${logdriver.resolved.healthPort})`);
    }
    if (broker !== undefined && deps[broker[0]] === undefined) problems.push(`${proxy.name}: does not wait for the broker (it exits when its config source is unreachable at start)`);
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
      // A service name resolves to that service's namespace, and the apps in it listen there; a
      // service that joins another's namespace has no name of its own on the network.
      const l = new URL(b.logdriverUrl);
      const reachable = checks.filter((c) => (c.name === l.hostname && namespaceOwner(services[c.name]) === undefined) || namespaceOwner(services[c.name]) === l.hostname);
      const target = reachable.find((c) => c.app === 'logdriver' && c.resolved?.healthPort === Number(l.port || 80));
      if (target === undefined) problems.push(`${broker[0]}: TSP_BROKER_LOGDRIVER_URL ${b.logdriverUrl} is not a logdriver service`);
      else if (target.resolved?.host !== '0.0.0.0') problems.push(`${broker[0]}: TSP_BROKER_LOGDRIVER_URL ${b.logdriverUrl}: the logdriver ${target.name} listens on ${String(target.resolved?.host)} only`);
    }
  }
  return problems;
}
