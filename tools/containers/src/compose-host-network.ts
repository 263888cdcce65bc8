import { AppName, appOfImage, knownEnvNames } from './kubernetes-app-settings';
import { ComposeFile, ComposeService, dependsOn } from './compose-checks';

/**
 * The test-only override that runs docker/compose.yaml on the host network: every service gets
 * `network_mode: host`, no published ports, 127.0.0.1 as its bind address (never 0.0.0.0 on the
 * host), a free loopback port for each port the file uses, and URLs naming a service (or the
 * pair's 127.0.0.1) rewritten to 127.0.0.1 and the new port. Every packet stays on 127.0.0.1 and
 * no network is created. Written as a compose override (what `docker compose -f compose.yaml -f
 * override.yaml` would merge; `ports` would need `!reset []` there).
 */

export interface HostNetworkPlan {
  /** The override, per service: network_mode, ports, environment. */
  override: { services: Record<string, { network_mode: 'host'; ports: []; environment: Record<string, string> }> };
  /** Original port → loopback port. */
  ports: ReadonlyMap<number, number>;
}

function envMap(svc: ComposeService): Record<string, string> {
  const e = svc['environment'];
  if (Array.isArray(e)) return Object.fromEntries(e.map((x) => String(x).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries((e ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** Every port the compose file's variables name (…_PORT values and URL ports), in order of appearance. */
export function portsInUse(compose: ComposeFile): number[] {
  const found: number[] = [];
  for (const svc of Object.values(compose.services)) {
    for (const [k, v] of Object.entries(envMap(svc))) {
      if (/_PORT$/.test(k) && /^\d+$/.test(v)) found.push(Number(v));
      const url = /^https?:\/\/[^/:]+:(\d+)/.exec(v);
      if (url !== null) found.push(Number(url[1]));
    }
  }
  return [...new Set(found)];
}

export function hostNetworkOverride(compose: ComposeFile, freePorts: readonly number[]): HostNetworkPlan {
  const original = portsInUse(compose);
  if (freePorts.length < original.length) throw new Error(`need ${original.length} free ports`);
  const ports = new Map(original.map((p, i) => [p, freePorts[i] as number]));
  const serviceNames = new Set(Object.keys(compose.services));
  const services: HostNetworkPlan['override']['services'] = {};
  for (const [name, svc] of Object.entries(compose.services)) {
    const app = appOfImage(String(svc['image'])) as AppName | undefined;
    if (app === undefined) throw new Error(`${name}: not one of our images`);
    const environment: Record<string, string> = {};
    // The app's bind address: loopback, whatever the file or the image says.
    for (const k of knownEnvNames(app)) if (/_HOST$/.test(k)) environment[k] = '127.0.0.1';
    for (const [k, v] of Object.entries(envMap(svc))) {
      if (/_HOST$/.test(k)) continue;
      if (/_PORT$/.test(k) && ports.has(Number(v))) environment[k] = String(ports.get(Number(v)));
      const url = /^(https?):\/\/([^/:]+):(\d+)(.*)$/.exec(v);
      if (url !== null) {
        const [, scheme, host, port, rest] = url;
        if (host !== '127.0.0.1' && !serviceNames.has(host ?? '')) throw new Error(`${name}: ${k} names ${String(host)}, neither a service nor 127.0.0.1`);
        environment[k] = `${String(scheme)}://127.0.0.1:${String(ports.get(Number(port)))}${String(rest)}`;
      }
    }
    services[name] = { network_mode: 'host', ports: [], environment };
  }
  return { override: { services }, ports };
}

/** The compose file with the override merged (environment merged per variable; the rest replaced). */
export function applyOverride(compose: ComposeFile, plan: HostNetworkPlan): ComposeFile {
  const services: Record<string, ComposeService> = {};
  for (const [name, svc] of Object.entries(compose.services)) {
    const o = plan.override.services[name];
    services[name] = o === undefined ? svc : { ...svc, network_mode: o.network_mode, ports: o.ports, environment: { ...envMap(svc), ...o.environment } };
  }
  return { ...compose, services };
}

/**
 * The order in which compose starts the services: each after everything it depends on
 * (depends_on, either syntax), services free to start in any order in the file's order. Compose
 * stops them in the reverse order (dependents first). Throws for a dependency on an unknown
 * service and for a cycle (compose refuses both).
 */
export function startOrder(compose: ComposeFile): string[] {
  const names = Object.keys(compose.services);
  const deps = new Map(names.map((n) => [n, Object.keys(dependsOn(compose.services[n]))]));
  for (const [n, ds] of deps) for (const d of ds) if (!deps.has(d)) throw new Error(`${n}: depends_on ${d}, which is not a service`);
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find((n) => !order.includes(n) && (deps.get(n) ?? []).every((d) => order.includes(d)));
    if (next === undefined) throw new Error(`depends_on has a cycle among ${names.filter((n) => !order.includes(n)).join(', ')}`);
    order.push(next);
  }
  return order;
}
