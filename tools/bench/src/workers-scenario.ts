import { readFileSync } from 'node:fs';
import type { DevEnvironment } from '@tsp/dev-environment';
import type { ProcessRegistry } from './child-processes';
import { chooseLoadGenerator } from './load-generator';
import type { BenchOptions } from './options';
import { clockTicks, processCpuMs, reapedChildrenCpuMs } from './process-cpu';
import { isRecord, RunningProxy, startProxy } from './proxy-launcher';
import { RawResult, runScenario } from './run-scenario';
import { checkWrap, LEASED_TENANT, requestBody, WRAP_PATH } from './scenarios';
import { fmt, table } from './text-table';
import { targetCheck, TargetCheck } from './targets';

/**
 * TSP_WORKERS: the same leased wrap against the built proxy with 1 and with 2 API workers, same
 * load generator, connections and duration, nothing pinned (two workers need both cores). On a
 * 2-core machine the load generator competes with the workers for the same cores, so besides the
 * rate ratio the run measures CPU time: of the proxy's processes (primary + workers, from /proc),
 * of the load generator (this process's reaped-children CPU, which is wrk's once it exits), and
 * of the whole machine (/proc/stat), and reports requests per proxy CPU-second: when that stays
 * the same with 2 workers, the proxy scales with the cores it gets, and what is missing from 2x
 * is cores taken by the load generator (or other load on a shared machine).
 */
export interface WorkersRun {
  workers: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  wallMs: number;
  /** CPU of the proxy's processes (primary and workers) during the measured run. */
  proxyCpuMs: number;
  /** CPU of the load generator during the measured run. */
  loadGeneratorCpuMs: number;
  /** CPU used on the whole machine (all processes) during the measured run. */
  machineCpuMs: number;
  /** Requests answered per second of proxy CPU. */
  requestsPerProxyCpuSecond: number;
  ok: boolean;
}

export type WorkersReport =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      cpus: number;
      runs: WorkersRun[];
      /** rate(2 workers) / rate(1 worker). */
      rateRatio: number;
      /** requests per proxy CPU-second, 2 workers / 1 worker (1.0: no cluster overhead). */
      efficiencyRatio: number;
      /** 2 x efficiencyRatio: the ratio expected with two full cores for the proxy (load generated elsewhere). */
      projectedRatio: number;
    };

export interface WorkersContext {
  reg: ProcessRegistry;
  opts: BenchOptions;
  env: DevEnvironment;
  work: string;
  cpus: number;
  headers: Readonly<Record<string, string>>;
  note: (s: string) => void;
}

/** Busy CPU of the whole machine so far (all CPUs, everything but idle and iowait), in ms. */
function machineCpuMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
  const ticks = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, n) => a + (Number.isFinite(n) ? n : 0), 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  // /proc/stat counts in USER_HZ.
  return ((total - idle) * 1000) / clockTicks();
}

/**
 * The primary's pid and, with workers, those of the running ones (from /health, which gives a
 * slot's pid only while its worker runs: null while it restarts).
 */
async function proxyPids(p: RunningProxy): Promise<number[]> {
  const res = await fetch(`${p.healthUrl}/health`, { signal: AbortSignal.timeout(5000) });
  return pidsFromHealth(p.proc.pid, await res.json());
}

/** The primary's pid, then each worker's pid that /health gives (a number: a running worker). */
export function pidsFromHealth(primaryPid: number, body: unknown): number[] {
  const workers = isRecord(body) && Array.isArray(body['workers']) ? (body['workers'] as unknown[]) : [];
  const pids = workers.flatMap((w) => (isRecord(w) && typeof w['pid'] === 'number' ? [w['pid']] : []));
  return [primaryPid, ...pids];
}

function cpuOf(pids: readonly number[]): number {
  return pids.reduce((a, pid) => {
    try {
      return a + processCpuMs(pid);
    } catch {
      return Number.NaN; // a process exited: the row is flagged
    }
  }, 0);
}

export async function measureWorkers(ctx: WorkersContext): Promise<{ report: WorkersReport; raw: RawResult[] }> {
  if (ctx.opts.skipWorkers) return { report: { skipped: true, reason: 'BENCH_SKIP_WORKERS=1' }, raw: [] };
  // Unpinned: two workers need both cores; the load generator shares them (measured below).
  const gen = chooseLoadGenerator(ctx.reg, ctx.work, { forceAutocannon: ctx.opts.forceAutocannon, cpu: undefined }, ctx.note);
  const runs: WorkersRun[] = [];
  const raw: RawResult[] = [];
  for (const workers of [1, 2]) {
    ctx.note(`workers: starting the proxy with TSP_WORKERS=${workers} (nothing pinned)`);
    const p = await startProxy(ctx.reg, {
      name: `proxy (TSP_WORKERS=${workers})`,
      serviceAccountFile: ctx.env.serviceAccountFile,
      env: { TSP_EVENT_OUTPUT: 'stdout', TSP_WORKERS: String(workers) },
      readyTimeoutMs: 30_000,
    });
    try {
      const pids = await proxyPids(p);
      const t = { wall: 0n, proxy: 0, gen: 0, machine: 0 };
      const m = { wallMs: 0, proxyCpuMs: 0, loadGeneratorCpuMs: 0, machineCpuMs: 0 };
      const hooks = {
        begin() {
          t.wall = process.hrtime.bigint();
          t.proxy = cpuOf(pids);
          t.gen = reapedChildrenCpuMs();
          t.machine = machineCpuMs();
        },
        end() {
          m.wallMs = Number(process.hrtime.bigint() - t.wall) / 1e6;
          m.proxyCpuMs = cpuOf(pids) - t.proxy;
          m.loadGeneratorCpuMs = reapedChildrenCpuMs() - t.gen;
          m.machineCpuMs = machineCpuMs() - t.machine;
        },
      };
      const scenario = {
        id: `leased-wrap-workers-${workers}`,
        label: `(w${workers}) leased wrap, TSP_WORKERS=${workers}, nothing pinned`,
        target: 'proxy-workers' as const,
        path: WRAP_PATH,
        tenantId: LEASED_TENANT,
        body: requestBody(LEASED_TENANT),
        docsPerRequest: 1,
        check: checkWrap,
      };
      const r = await runScenario(gen, ctx.opts, scenario, p.url, p.proc, ctx.headers, ctx.note, { hooks });
      raw.push(r);
      const ok = r.ok && (await proxyPids(p)).join() === pids.join();
      if (!ok) ctx.note(`workers: TSP_WORKERS=${workers} run flagged (errors, or a process restarted during the run)`);
      runs.push({
        workers,
        requestsPerSecond: r.requestsPerSecond,
        latencyP50Ms: r.latencyP50Ms,
        latencyP99Ms: r.latencyP99Ms,
        ...m,
        requestsPerProxyCpuSecond: (r.requestsPerSecond * m.wallMs) / m.proxyCpuMs,
        ok,
      });
    } finally {
      await ctx.reg.stop(p.proc);
    }
  }
  const [one, two] = runs;
  const rateRatio = (two?.requestsPerSecond ?? Number.NaN) / (one?.requestsPerSecond ?? Number.NaN);
  const efficiencyRatio = (two?.requestsPerProxyCpuSecond ?? Number.NaN) / (one?.requestsPerProxyCpuSecond ?? Number.NaN);
  return { report: { skipped: false, cpus: ctx.cpus, runs, rateRatio, efficiencyRatio, projectedRatio: 2 * efficiencyRatio }, raw };
}

export function workersTargets(r: WorkersReport): TargetCheck[] {
  if (r.skipped) return [];
  return [targetCheck('leased wrap, TSP_WORKERS=2 / TSP_WORKERS=1 (req/s)', r.rateRatio, '>=', 1.8)];
}

export function formatWorkersReport(r: WorkersReport): string {
  if (r.skipped) return `workers: skipped (${r.reason})`;
  const cores = (ms: number, wallMs: number): string => fmt(ms / wallMs, 2);
  const rows = r.runs.map((w) => [
    w.ok ? `TSP_WORKERS=${w.workers}` : `TSP_WORKERS=${w.workers}  <-- FLAGGED`,
    fmt(w.requestsPerSecond),
    fmt(w.latencyP50Ms, 2),
    fmt(w.latencyP99Ms, 2),
    cores(w.proxyCpuMs, w.wallMs),
    cores(w.loadGeneratorCpuMs, w.wallMs),
    cores(w.machineCpuMs, w.wallMs),
    cores(w.machineCpuMs - w.proxyCpuMs - w.loadGeneratorCpuMs, w.wallMs),
    fmt(w.requestsPerProxyCpuSecond),
  ]);
  return [
    `workers: leased wrap with 1 and 2 API workers, nothing pinned, ${r.cpus} CPUs shared by the proxy and the load generator`,
    table(['proxy', 'req/s', 'p50 ms', 'p99 ms', 'proxy cores', 'load gen cores', 'machine cores', 'other cores', 'req per proxy CPU-s'], rows, 1),
    '(cores = CPU seconds per second of the measured run; "other" is everything else on the machine, the bench itself included)',
    `rate 2 workers / 1 worker: x${fmt(r.rateRatio, 2)} (target 1.8); requests per proxy CPU-second, 2 / 1: x${fmt(r.efficiencyRatio, 2)}, ` +
      `so with two whole cores for the proxy (load generated elsewhere) about x${fmt(r.projectedRatio, 2)}`,
  ].join('\n');
}
