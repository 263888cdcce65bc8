import { readFileSync } from 'node:fs';
import type { DevEnvironment } from '@tsp/dev-environment';
import type { ProcessRegistry } from './child-processes';
import { chooseLoadGenerator } from './load-generator';
import type { BenchOptions } from './options';
import { clockTicks, processCpuMs, reapedChildrenCpuMs } from './process-cpu';
import { isRecord, RunningProxy, startProxy } from './proxy-launcher';
import { RawResult, runScenarioSplit } from './run-scenario';
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
 * The control row (w2i): two INDEPENDENT TSP_WORKERS=1 proxies on their own ports, each loaded
 * by its own load generator run at the same time (the connections split in half), rates summed:
 * the most two processes get from this machine with no cluster at all. The cluster's rate as a
 * fraction of it is the cluster's own cost; what the control row misses from 2x is the machine's.
 */
export interface WorkersRun {
  /** w1, w2: one proxy with TSP_WORKERS=1, 2; w2i: two independent TSP_WORKERS=1 proxies, load split. */
  id: WorkersRunId;
  /** TSP_WORKERS of each proxy. */
  workers: number;
  /** Proxies started (each loaded by its own load generator run). */
  proxies: number;
  /** Summed over the proxies. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  wallMs: number;
  /** CPU of the proxies' processes (primaries and workers) during the measured run. */
  proxyCpuMs: number;
  /** CPU of the load generator runs during the measured run. */
  loadGeneratorCpuMs: number;
  /** CPU used on the whole machine (all processes) during the measured run. */
  machineCpuMs: number;
  /** Requests answered per second of proxy CPU. */
  requestsPerProxyCpuSecond: number;
  ok: boolean;
}

export type WorkersRunId = 'w1' | 'w2' | 'w2i';

/** The three runs: their proxies and their row in the scenario table. */
export const WORKERS_RUNS: readonly { id: WorkersRunId; workers: number; proxies: number; scenarioId: string; label: string }[] = [
  { id: 'w1', workers: 1, proxies: 1, scenarioId: 'leased-wrap-workers-1', label: '(w1) leased wrap, TSP_WORKERS=1, nothing pinned' },
  { id: 'w2', workers: 2, proxies: 1, scenarioId: 'leased-wrap-workers-2', label: '(w2) leased wrap, TSP_WORKERS=2, nothing pinned' },
  { id: 'w2i', workers: 1, proxies: 2, scenarioId: 'leased-wrap-workers-independent-2', label: '(w2i) two independent TSP_WORKERS=1 proxies, load split' },
];

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
      /** rate(two independent proxies) / rate(1 worker): what two processes get from this machine. */
      independentRatio: number;
      /** requests per proxy CPU-second, two independent proxies / 1 worker: the machine's own per-CPU loss with both cores busy. */
      independentEfficiencyRatio: number;
      /** rate(2 workers) / rate(two independent proxies): the cluster against the machine's ideal (1.0: it costs nothing). */
      clusterVsIndependent: number;
    };

/** The report's ratios from the runs (NaN where a run is missing). */
export function workersReport(cpus: number, runs: WorkersRun[]): WorkersReport {
  const rate = (id: WorkersRunId): number => runs.find((r) => r.id === id)?.requestsPerSecond ?? Number.NaN;
  const perCpu = (id: WorkersRunId): number => runs.find((r) => r.id === id)?.requestsPerProxyCpuSecond ?? Number.NaN;
  const efficiencyRatio = perCpu('w2') / perCpu('w1');
  return {
    skipped: false,
    cpus,
    runs,
    rateRatio: rate('w2') / rate('w1'),
    efficiencyRatio,
    projectedRatio: 2 * efficiencyRatio,
    independentRatio: rate('w2i') / rate('w1'),
    independentEfficiencyRatio: perCpu('w2i') / perCpu('w1'),
    clusterVsIndependent: rate('w2') / rate('w2i'),
  };
}

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
  for (const spec of WORKERS_RUNS) {
    const { workers, proxies: n } = spec;
    const what = n === 1 ? `the proxy with TSP_WORKERS=${workers}` : `${n} independent proxies with TSP_WORKERS=${workers}`;
    ctx.note(`workers: starting ${what} (nothing pinned)`);
    const proxies: RunningProxy[] = [];
    try {
      for (let i = 1; i <= n; i++) {
        proxies.push(
          await startProxy(ctx.reg, {
            name: n === 1 ? `proxy (TSP_WORKERS=${workers})` : `proxy ${i} of ${n} (TSP_WORKERS=${workers})`,
            serviceAccountFile: ctx.env.serviceAccountFile,
            env: { TSP_EVENT_OUTPUT: 'stdout', TSP_WORKERS: String(workers) },
            readyTimeoutMs: 30_000,
          }),
        );
      }
      const pidsOf = async (): Promise<number[]> => (await Promise.all(proxies.map(proxyPids))).flat();
      const pids = await pidsOf();
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
          // Every load generator run of the measurement has exited (and been reaped) by now.
          m.loadGeneratorCpuMs = reapedChildrenCpuMs() - t.gen;
          m.machineCpuMs = machineCpuMs() - t.machine;
        },
      };
      const scenario = {
        id: spec.scenarioId,
        label: spec.label,
        target: 'proxy-workers' as const,
        path: WRAP_PATH,
        tenantId: LEASED_TENANT,
        body: requestBody(LEASED_TENANT),
        docsPerRequest: 1,
        check: checkWrap,
      };
      const targets = proxies.map((p) => ({ baseUrl: p.url, server: p.proc }));
      const r = await runScenarioSplit(gen, ctx.opts, scenario, targets, ctx.headers, ctx.note, { hooks });
      raw.push(r);
      const ok = r.ok && (await pidsOf()).join() === pids.join();
      if (!ok) ctx.note(`workers: ${spec.id} run flagged (errors, or a process restarted during the run)`);
      runs.push({
        id: spec.id,
        workers,
        proxies: n,
        requestsPerSecond: r.requestsPerSecond,
        latencyP50Ms: r.latencyP50Ms,
        latencyP99Ms: r.latencyP99Ms,
        ...m,
        requestsPerProxyCpuSecond: (r.requestsPerSecond * m.wallMs) / m.proxyCpuMs,
        ok,
      });
    } finally {
      for (const p of proxies) await ctx.reg.stop(p.proc);
    }
  }
  return { report: workersReport(ctx.cpus, runs), raw };
}

export function workersTargets(r: WorkersReport): TargetCheck[] {
  if (r.skipped) return [];
  return [
    targetCheck('leased wrap, TSP_WORKERS=2 / TSP_WORKERS=1 (req/s)', r.rateRatio, '>=', 1.8),
    // Informational: the cluster against two separate processes on the same machine (its own cost).
    targetCheck('  TSP_WORKERS=2 / two independent proxies (informational)', r.clusterVsIndependent, '>=', 0.9),
  ];
}

function runName(w: WorkersRun): string {
  return w.proxies === 1 ? `TSP_WORKERS=${w.workers}` : `${w.proxies} x TSP_WORKERS=${w.workers}, independent`;
}

export function formatWorkersReport(r: WorkersReport): string {
  if (r.skipped) return `workers: skipped (${r.reason})`;
  const cores = (ms: number, wallMs: number): string => fmt(ms / wallMs, 2);
  const rows = r.runs.map((w) => [
    w.ok ? `(${w.id}) ${runName(w)}` : `(${w.id}) ${runName(w)}  <-- FLAGGED`,
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
    `workers: leased wrap with 1 and 2 API workers, and two independent 1-worker proxies each loaded by its own load generator ` +
      `(connections split in half), nothing pinned, ${r.cpus} CPUs shared by the proxies and the load generator`,
    table(['proxy', 'req/s', 'p50 ms', 'p99 ms', 'proxy cores', 'load gen cores', 'machine cores', 'other cores', 'req per proxy CPU-s'], rows, 1),
    '(cores = CPU seconds per second of the measured run; "other" is everything else on the machine, the bench itself included; ' +
      'w2i: rates summed, latencies the higher of the two proxies\')',
    `rate 2 workers / 1 worker: x${fmt(r.rateRatio, 2)} (target 1.8); two independent processes / 1: x${fmt(r.independentRatio, 2)} ` +
      `(the most two processes get from this machine); cluster / two independent processes: x${fmt(r.clusterVsIndependent, 2)} (target 0.9)`,
    `requests per proxy CPU-second, 2 / 1: x${fmt(r.efficiencyRatio, 2)} (two independent processes / 1: x${fmt(r.independentEfficiencyRatio, 2)}), so with two whole cores for the proxy (load generated elsewhere) ` +
      `about x${fmt(r.projectedRatio, 2)}`,
  ].join('\n');
}
