import { freePort } from '@tsp/test-support';
import { PROXY_MAIN } from './options';
import { onCpu, ProcessRegistry, sleep, TrackedChild } from './child-processes';

export interface ProxyLaunch {
  /** Label for progress lines and errors. */
  name: string;
  serviceAccountFile: string;
  /** TSP_* overrides (TSP_EVENT_OUTPUT, TSP_CONFIG_URL...). */
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Pin to this CPU (taskset), or not at all. */
  cpu?: number;
}

export interface RunningProxy {
  name: string;
  url: string;
  healthUrl: string;
  proc: TrackedChild;
  /** From spawn to the first 200 of /ready. */
  readyMs: number;
}

/**
 * Starts the BUILT proxy on free loopback ports with its stdout discarded (events, when enabled,
 * are still serialised and written, to /dev/null), and waits for /ready.
 */
export async function startProxy(reg: ProcessRegistry, launch: ProxyLaunch): Promise<RunningProxy> {
  const port = await freePort();
  const healthPort = await freePort();
  const started = process.hrtime.bigint();
  const proc = reg.spawn(launch.name, ...onCpu(launch.cpu, process.execPath, [PROXY_MAIN]), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      TSP_SERVICE_ACCOUNT_FILE: launch.serviceAccountFile,
      TSP_HOST: '127.0.0.1',
      TSP_PORT: String(port),
      TSP_HEALTH_PORT: String(healthPort),
      // One process, so figures stay comparable across runs and machines; the workers scenario
      // (workers-scenario.ts) sets TSP_WORKERS itself.
      TSP_WORKERS: '1',
      ...launch.env,
    },
  });
  const p: RunningProxy = {
    name: launch.name,
    url: `http://127.0.0.1:${port}`,
    healthUrl: `http://127.0.0.1:${healthPort}`,
    proc,
    readyMs: 0,
  };
  const deadline = Date.now() + launch.readyTimeoutMs;
  for (;;) {
    if (proc.hasExited()) throw new Error(`${launch.name} exited during startup:\n${proc.stderrTail()}`);
    if (Date.now() > deadline) {
      await reg.stop(proc);
      throw new Error(`${launch.name} was not ready within ${launch.readyTimeoutMs} ms:\n${proc.stderrTail()}`);
    }
    try {
      const res = await fetch(`${p.healthUrl}/ready`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      /* not listening yet, or busy loading */
    }
    await sleep(20);
  }
  p.readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return p;
}

export interface ProxyHealth {
  tenants: number;
  invalidTenants: number;
}

/** Tenant counts from /health. */
export async function proxyHealth(p: RunningProxy): Promise<ProxyHealth> {
  const res = await fetch(`${p.healthUrl}/health`, { signal: AbortSignal.timeout(5000) });
  const body: unknown = await res.json();
  const config = isRecord(body) && isRecord(body['config']) ? body['config'] : {};
  return { tenants: numberOr(config['tenants'], -1), invalidTenants: numberOr(config['invalidTenants'], -1) };
}

/** A gauge from the Prometheus /metrics text (first sample of that name), or undefined. */
export async function proxyMetric(p: RunningProxy, name: string): Promise<number | undefined> {
  const res = await fetch(`${p.healthUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberOr(v: unknown, def: number): number {
  return typeof v === 'number' ? v : def;
}
