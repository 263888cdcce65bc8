import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppName, appOfImage, dockerfileOf, dockerfileProblems, HEALTH_ROUTES, imageEnv, ResolvedApp, resolveApp, sampleBrokerSecrets, sampleServiceAccount } from './kubernetes-app-settings';
import { isRecord, KubeObject } from './kubernetes-manifests';

/**
 * What the Kubernetes manifests must get right beyond the schemas, checked against the apps
 * themselves: each container's environment makes its app start (the app's own parser, with the
 * secrets it mounts), ports and probes are the app's, the pods are locked down, a pod's
 * termination grace outlasts preStop plus the apps' shutdown timeouts, and every Service, PDB,
 * HPA and NetworkPolicy selects something real. Returns problems, [] when all is well.
 */

const UID = 10001;
/** Stand-in values of the Secrets the manifests reference (never real ones). */
const SAMPLE_SECRET_KEYS: Readonly<Record<string, Record<string, string>>> = {
  'tsp-broker-db': { url: 'postgres://tsp:check@postgres.example:5432/tsp' },
};

type Container = Record<string, unknown> & { name: string; image: string };
interface ContainerCheck {
  container: Container;
  sidecar: boolean;
  app: AppName;
  resolved: ResolvedApp | undefined;
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function field(o: unknown, ...keys: string[]): unknown {
  let v = o;
  for (const k of keys) v = isRecord(v) ? v[k] : undefined;
  return v;
}

/** Kubernetes CPU quantity in cores ("2", "500m", 1.5). */
export function cpuCores(q: unknown): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

/** preStop delay in ms: the sleep action, or `node -e "setTimeout(() => {}, N)"` exec; 0 when none. */
export function preStopMs(c: Record<string, unknown>): number {
  const seconds = field(c, 'lifecycle', 'preStop', 'sleep', 'seconds');
  if (typeof seconds === 'number') return seconds * 1000;
  const command = field(c, 'lifecycle', 'preStop', 'exec', 'command');
  if (Array.isArray(command)) {
    const m = /setTimeout\([^,]+,\s*(\d+)\s*\)/.exec(command.join(' '));
    if (m !== null) return Number(m[1]);
  }
  return 0;
}

function dockerfileText(app: AppName): string | undefined {
  const f = dockerfileOf(app);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}

function templateOf(o: KubeObject): { labels: Record<string, string>; annotations: Record<string, string>; spec: Record<string, unknown> } | undefined {
  const t = field(o, 'spec', 'template');
  if (!isRecord(t) || !isRecord(t['spec'])) return undefined;
  return { labels: (field(t, 'metadata', 'labels') ?? {}) as Record<string, string>, annotations: (field(t, 'metadata', 'annotations') ?? {}) as Record<string, string>, spec: t['spec'] };
}

function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector) || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function portNumber(port: unknown, containers: readonly Record<string, unknown>[]): number | undefined {
  if (typeof port === 'number') return port;
  for (const c of containers) for (const p of records(c['ports'])) if (p['name'] === port) return p['containerPort'] as number;
  return undefined;
}

/**
 * Why a Service's targetPort or a NetworkPolicy's port does not reach the selected pods, or
 * undefined when it does. A number must be a containerPort of one of their containers (a native
 * sidecar's included). A name must be declared by a MAIN container: before Kubernetes 1.32,
 * Services resolved no endpoints for a named port of an init container, native sidecars included
 * (kubernetes/kubernetes#127958, fixed by #127976), and network plugins differ in the same way;
 * such a port has to be given by number.
 */
function podPortProblem(port: unknown, ws: readonly KubeObject[]): string | undefined {
  const main = ws.flatMap((w) => records(templateOf(w)?.spec['containers']));
  const init = ws.flatMap((w) => records(templateOf(w)?.spec['initContainers']));
  const declares = (cs: Record<string, unknown>[]): boolean =>
    cs.some((c) => records(c['ports']).some((p) => (typeof port === 'number' ? p['containerPort'] === port : p['name'] === port)));
  if (typeof port === 'number') return declares([...main, ...init]) ? undefined : 'is no port of the selected pods';
  if (declares(main)) return undefined;
  if (declares(init)) {
    const owners = init.filter((c) => declares([c])).map((c) => String(c['name']));
    return `names a port declared only by init container ${owners.join(', ')} (a native sidecar): Kubernetes before 1.32 gives such a named port no endpoints (kubernetes/kubernetes#127958); use the port number`;
  }
  return 'is no port of the selected pods';
}

function containerEnv(c: Container, spec: Record<string, unknown>, where: string, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ef of records(c['envFrom'])) {
    const secret = field(ef, 'secretRef', 'name');
    if (secret === 'tsp-broker') Object.assign(env, sampleBrokerSecrets());
    else problems.push(`${where}: envFrom ${JSON.stringify(ef)} is not a Secret this check knows (tsp-broker)`);
  }
  for (const e of records(c['env'])) {
    const name = String(e['name']);
    if (typeof e['value'] === 'string') env[name] = e['value'];
    else if (isRecord(e['valueFrom'])) {
      const rf = field(e, 'valueFrom', 'resourceFieldRef');
      const sk = field(e, 'valueFrom', 'secretKeyRef');
      if (isRecord(rf) && rf['resource'] === 'limits.cpu') {
        const owner = records(spec['containers']).concat(records(spec['initContainers'])).find((x) => x['name'] === (rf['containerName'] ?? c.name));
        const limit = field(owner, 'resources', 'limits', 'cpu');
        if (limit === undefined) problems.push(`${where}: ${name} reads limits.cpu, which is not set`);
        env[name] = String(Math.ceil(cpuCores(limit) / cpuCores(rf['divisor'] ?? '1')));
      } else if (isRecord(sk) && typeof sk['name'] === 'string' && typeof sk['key'] === 'string' && SAMPLE_SECRET_KEYS[sk['name']]?.[sk['key']] !== undefined) {
        env[name] = SAMPLE_SECRET_KEYS[sk['name']]?.[sk['key']] as string;
      } else problems.push(`${where}: ${name} comes from ${JSON.stringify(e['valueFrom'])}, which this check does not know`);
    } else problems.push(`${where}: ${name} has neither value nor valueFrom`);
  }
  return env;
}

/** The volume mounted at `dir` in container `c`, if any. */
function volumeAt(c: Container, spec: Record<string, unknown>, claims: readonly string[], dir: string): { volume: Record<string, unknown> | 'claim'; mount: Record<string, unknown> } | undefined {
  const mount = records(c['volumeMounts']).find((m) => m['mountPath'] === dir);
  if (mount === undefined) return undefined;
  if (claims.includes(String(mount['name']))) return { volume: 'claim', mount };
  const volume = records(spec['volumes']).find((v) => v['name'] === mount['name']);
  return volume === undefined ? undefined : { volume, mount };
}

function checkContainer(c: Container, sidecar: boolean, spec: Record<string, unknown>, claims: readonly string[], where: string, problems: string[]): ContainerCheck | undefined {
  const app = appOfImage(c.image);
  if (app === undefined) {
    problems.push(`${where}: image ${c.image} is none of tsp-proxy, tsp-logdriver, tsp-config-broker`);
    return undefined;
  }
  const text = dockerfileText(app);
  for (const p of dockerfileProblems(app, text)) problems.push(`${where}: ${p}`);

  const sc = (c['securityContext'] ?? {}) as Record<string, unknown>;
  const podSc = (spec['securityContext'] ?? {}) as Record<string, unknown>;
  if ((sc['runAsNonRoot'] ?? podSc['runAsNonRoot']) !== true) problems.push(`${where}: runAsNonRoot is not true`);
  if ((sc['runAsUser'] ?? podSc['runAsUser']) !== UID) problems.push(`${where}: runAsUser is not ${UID}`);
  if (sc['readOnlyRootFilesystem'] !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
  if (sc['allowPrivilegeEscalation'] !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
  const caps = field(sc, 'capabilities', 'drop');
  if (!Array.isArray(caps) || !caps.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
  if (field(sc, 'capabilities', 'add') !== undefined) problems.push(`${where}: adds capabilities`);
  if (sc['privileged'] === true) problems.push(`${where}: privileged`);

  for (const m of records(c['volumeMounts'])) {
    if (!claims.includes(String(m['name'])) && !records(spec['volumes']).some((v) => v['name'] === m['name'])) problems.push(`${where}: volumeMount ${String(m['name'])} names no volume`);
  }

  const env = containerEnv(c, spec, where, problems);
  const saPath = env['TSP_SERVICE_ACCOUNT_FILE'];
  let saVars: Record<string, string> = {};
  if (saPath !== undefined) {
    const at = volumeAt(c, spec, claims, path.posix.dirname(saPath));
    const secret = at !== undefined && at.volume !== 'claim' ? at.volume['secret'] : undefined;
    const items = records(field(secret, 'items'));
    if (!isRecord(secret) || at?.mount['readOnly'] !== true || !(items.length === 0 || items.some((i) => i['path'] === path.posix.basename(saPath)))) {
      problems.push(`${where}: TSP_SERVICE_ACCOUNT_FILE ${saPath} is not a read-only mounted Secret`);
    }
    saVars = sampleServiceAccount('http://tsp-config-broker:9500/api/v1/config-document');
  }
  let resolved: ResolvedApp | undefined;
  try {
    resolved = resolveApp(app, { ...imageEnv(app, text), ...env }, saVars);
  } catch (e) {
    problems.push(`${where}: the ${app} would not start: ${(e as Error).message}`);
    return { container: c, sidecar, app, resolved: undefined };
  }
  if (resolved.host !== '0.0.0.0') problems.push(`${where}: binds ${resolved.host}: the kubelet probes the pod IP`);

  const declared = records(c['ports']).map((p) => p['containerPort'] as number).sort();
  if (JSON.stringify(declared) !== JSON.stringify([...resolved.ports].sort())) problems.push(`${where}: containerPorts ${declared.join(',')} but the ${app} listens on ${resolved.ports.join(',')}`);
  const routes = HEALTH_ROUTES[app];
  // A native sidecar's startup probe is what holds the main containers back (they start once it
  // passes): it must be the ready route, or the proxy would start before its logdriver takes events.
  const startupWanted = sidecar ? routes.ready : undefined;
  for (const [probe, wanted] of [['readinessProbe', routes.ready], ['livenessProbe', routes.live], ['startupProbe', startupWanted]] as const) {
    const get = field(c, probe, 'httpGet');
    if (get === undefined) {
      if (wanted !== undefined) problems.push(`${where}: no ${probe} (httpGet)${probe === 'startupProbe' ? ': a native sidecar without one lets the main containers start before it serves' : ''}`);
      continue;
    }
    const port = portNumber(field(get, 'port'), [c]);
    if (port !== resolved.healthPort) problems.push(`${where}: ${probe} on port ${String(port)}, the ${app}'s health port is ${resolved.healthPort}`);
    const p = field(get, 'path');
    if (wanted !== undefined ? p !== wanted : !routes.all.includes(String(p))) {
      const why = probe === 'startupProbe' && sidecar ? `; a native sidecar's startup probe gates the main containers, so it must be ${String(wanted)}` : '';
      problems.push(`${where}: ${probe} path ${String(p)} (the ${app} serves ${wanted ?? routes.all.join(', ')})${why}`);
    }
  }
  for (const kind of ['requests', 'limits']) {
    for (const r of ['cpu', 'memory']) if (field(c, 'resources', kind, r) === undefined) problems.push(`${where}: no resources.${kind}.${r}`);
  }
  if (app === 'proxy') {
    const limit = field(c, 'resources', 'limits', 'cpu');
    if (limit !== undefined && resolved.workers !== Math.ceil(cpuCores(limit))) problems.push(`${where}: TSP_WORKERS ${String(resolved.workers)} does not match limits.cpu ${String(limit)}`);
  }
  if (app === 'logdriver' && resolved.spoolDir !== undefined) {
    const at = volumeAt(c, spec, claims, resolved.spoolDir);
    if (at?.volume !== 'claim') problems.push(`${where}: the spool ${resolved.spoolDir} is not on a volumeClaimTemplate (a restarted pod would lose undelivered events)`);
  }
  if (app === 'config-broker' && resolved.sqliteFile !== undefined) problems.push(`${where}: the broker runs on SQLite (${resolved.sqliteFile}); in Kubernetes it shares PostgreSQL (TSP_BROKER_DB postgres://)`);
  if (!sidecar && preStopMs(c) <= 0) problems.push(`${where}: no preStop delay (endpoints need a moment to drop a terminating pod)`);
  return { container: c, sidecar, app, resolved };
}

function checkWorkload(o: KubeObject, problems: string[]): { checks: ContainerCheck[] } {
  const t = templateOf(o);
  const name = `${o.kind}/${o.metadata.name}`;
  if (t === undefined) return { checks: [] };
  const spec = t.spec;
  if (spec['enableServiceLinks'] !== false) problems.push(`${name}: enableServiceLinks is not false (Kubernetes would inject <SERVICE>_PORT variables such as TSP_PROXY_PORT=tcp://..., which the apps refuse)`);
  if (spec['automountServiceAccountToken'] !== false) problems.push(`${name}: automountServiceAccountToken is not false (the apps never call the Kubernetes API)`);
  if (field(spec, 'securityContext', 'runAsNonRoot') !== true) problems.push(`${name}: pod runAsNonRoot is not true`);
  if (field(spec, 'securityContext', 'seccompProfile', 'type') !== 'RuntimeDefault') problems.push(`${name}: seccompProfile is not RuntimeDefault`);
  const claims = records(field(o, 'spec', 'volumeClaimTemplates')).map((v) => String(field(v, 'metadata', 'name')));
  const checks: ContainerCheck[] = [];
  for (const c of records(spec['initContainers'])) {
    const sidecar = c['restartPolicy'] === 'Always';
    if (!sidecar) problems.push(`${name} init container ${String(c['name'])}: not a native sidecar (restartPolicy Always)`);
    const r = checkContainer(c as Container, sidecar, spec, claims, `${name} container ${String(c['name'])}`, problems);
    if (r !== undefined) checks.push(r);
  }
  for (const c of records(spec['containers'])) {
    const r = checkContainer(c as Container, false, spec, claims, `${name} container ${String(c['name'])}`, problems);
    if (r !== undefined) checks.push(r);
  }

  // The proxy's logdriver is in its pod, reached on 127.0.0.1, and outlives it (native sidecar).
  for (const p of checks.filter((x) => x.app === 'proxy')) {
    const url = p.resolved?.logdriverUrl ?? '';
    const logdriver = checks.find((x) => x.app === 'logdriver');
    if (logdriver === undefined) problems.push(`${name}: a proxy without its logdriver in the pod`);
    else if (url !== `http://127.0.0.1:${String(logdriver.resolved?.healthPort)}`) problems.push(`${name}: LOGDRIVER_URL ${url} is not this pod's logdriver (http://127.0.0.1:${String(logdriver.resolved?.healthPort)})`);
    else if (!logdriver.sidecar) problems.push(`${name}: the logdriver is not a native sidecar, so it may stop before the proxy flushed its events`);
    const scrape = t.annotations;
    if (scrape['prometheus.io/scrape'] !== 'true' || Number(scrape['prometheus.io/port']) !== p.resolved?.healthPort || scrape['prometheus.io/path'] !== '/metrics') {
      problems.push(`${name}: Prometheus annotations must name the proxy's metrics (port ${String(p.resolved?.healthPort)}, /metrics)`);
    }
  }

  // Termination: main containers get preStop then SIGTERM; native sidecars are stopped after them.
  const grace = ((spec['terminationGracePeriodSeconds'] as number | undefined) ?? 30) * 1000;
  const need = (list: ContainerCheck[]): number => Math.max(0, ...list.map((x) => preStopMs(x.container) + (x.resolved?.shutdownTimeoutMs ?? 0)));
  const needed = need(checks.filter((x) => !x.sidecar)) + need(checks.filter((x) => x.sidecar));
  if (!(grace > needed)) problems.push(`${name}: terminationGracePeriodSeconds ${grace / 1000} s is not more than preStop + shutdown timeouts (${needed / 1000} s)`);

  if (o.kind === 'StatefulSet') {
    const policy = field(o, 'spec', 'persistentVolumeClaimRetentionPolicy');
    if (field(policy, 'whenScaled') !== 'Retain' || field(policy, 'whenDeleted') !== 'Retain') problems.push(`${name}: persistentVolumeClaimRetentionPolicy must Retain the spools (they may hold undelivered events)`);
  }
  return { checks };
}

/** Every problem of a set of objects (one kustomize build). */
export function checkManifests(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const workloads = objects.filter((o) => templateOf(o) !== undefined);
  for (const o of workloads) checkWorkload(o, problems);
  const sameNs = (a: KubeObject, b: KubeObject): boolean => (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');
  const selected = (o: KubeObject, selector: unknown): KubeObject[] => workloads.filter((w) => sameNs(w, o) && selects(selector, templateOf(w)?.labels ?? {}));
  const containersOf = (ws: KubeObject[]): Record<string, unknown>[] => ws.flatMap((w) => [...records(templateOf(w)?.spec['containers']), ...records(templateOf(w)?.spec['initContainers'])]);

  for (const o of objects) {
    const name = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Service') {
      const ws = selected(o, field(o, 'spec', 'selector'));
      if (ws.length === 0) problems.push(`${name}: selects no pods`);
      for (const p of records(field(o, 'spec', 'ports'))) {
        const target = p['targetPort'] ?? p['port'];
        const problem = podPortProblem(target, ws);
        if (problem !== undefined) problems.push(`${name}: targetPort ${String(target)} ${problem}`);
      }
    } else if (o.kind === 'PodDisruptionBudget' || o.kind === 'NetworkPolicy') {
      const selector = o.kind === 'PodDisruptionBudget' ? field(o, 'spec', 'selector', 'matchLabels') : field(o, 'spec', 'podSelector', 'matchLabels');
      const ws = selected(o, selector);
      if (ws.length === 0) problems.push(`${name}: selects no pods`);
      if (o.kind === 'NetworkPolicy') {
        for (const rule of records(field(o, 'spec', 'ingress'))) {
          for (const p of records(rule['ports'])) {
            const problem = podPortProblem(p['port'], ws);
            if (problem !== undefined) problems.push(`${name}: port ${String(p['port'])} ${problem}`);
          }
          for (const from of records(rule['from'])) {
            const sel = field(from, 'podSelector', 'matchLabels');
            if (sel !== undefined && selected(o, sel).length === 0) problems.push(`${name}: an ingress rule admits pods that do not exist`);
          }
        }
      }
    } else if (o.kind === 'HorizontalPodAutoscaler') {
      const ref = field(o, 'spec', 'scaleTargetRef');
      const target = workloads.find((w) => sameNs(w, o) && w.kind === field(ref, 'kind') && w.metadata.name === field(ref, 'name'));
      if (target === undefined) problems.push(`${name}: scaleTargetRef names no workload`);
      else {
        if (field(target, 'spec', 'replicas') !== undefined) problems.push(`${name}: ${target.kind}/${target.metadata.name} still sets spec.replicas, which every kubectl apply would reset`);
        for (const m of records(field(o, 'spec', 'metrics'))) {
          const container = field(m, 'containerResource', 'container');
          if (container !== undefined && !containersOf([target]).some((c) => c['name'] === container)) problems.push(`${name}: metric of container ${String(container)}, which the target does not have`);
        }
      }
    } else if (o.kind === 'StatefulSet') {
      const svc = objects.find((s) => s.kind === 'Service' && sameNs(s, o) && s.metadata.name === field(o, 'spec', 'serviceName'));
      if (svc === undefined || field(svc, 'spec', 'clusterIP') !== 'None') problems.push(`${name}: serviceName names no headless Service`);
    }
  }
  return problems;
}
