import Fastify, { FastifyInstance } from 'fastify';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { asMetricJson, MetricJson, WorkerHealth } from './cluster-messages';
import { SLOT_STATES, StatusReply, WorkerCluster } from './worker-cluster';

/** How long /health and /metrics wait for a worker's answer before reporting it as silent. */
const STATUS_TIMEOUT_MS = 2000;

/**
 * The cluster primary's health port (TSP_WORKERS >= 2), the same endpoints as one process:
 * - /live 200 unless shutting down;
 * - /ready 200 once every worker has served (at startup) and while at least one serves (a worker
 *   restarting or unresponsive: the pod serves at reduced capacity), 500 while starting, shutting
 *   down, or when no worker serves;
 * - /health the single-process shape aggregated over the serving workers (config of the
 *   laggiest: lowest sequence; event queue depth and drops summed) plus `workers: [...]`, status
 *   "degraded" (still 200) when a worker is not serving or a config refresh failed;
 * - /metrics the workers' registries merged by AggregatorRegistry.aggregate with each metric's
 *   aggregator (see ProxyMetrics), including the counters of workers that exited and the last
 *   reply of a silent worker (worker-metrics-cache.ts), so counters never go backwards; plus the
 *   primary's own tsp_proxy_workers and tsp_proxy_worker_restarts_total, and its process metrics
 *   aggregated with the workers' (see clusterMetrics).
 */
export function buildClusterHealthServer(workers: WorkerCluster): FastifyInstance {
  const app = Fastify({ logger: false });
  const own = primaryRegistry(workers);
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics, prefix: 'tsp_' });

  app.get('/live', async (_req, reply) => {
    const ok = workers.state !== 'shutting-down';
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'live' : workers.state });
  });
  app.get('/ready', async (_req, reply) => {
    const ok = workers.ready();
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'ready' : overallState(workers, workers.snapshot()) });
  });
  app.get('/health', async (_req, reply) => {
    const replies = await workers.status(false, STATUS_TIMEOUT_MS);
    return reply.code(workers.ready() ? 200 : 500).send(clusterHealth(workers, replies));
  });
  app.get('/metrics', async (_req, reply) => {
    await workers.status(true, STATUS_TIMEOUT_MS);
    const primaryProcess = asMetricJson(await processMetrics.getMetricsAsJSON());
    // The cache's inputs after the last await, so no worker exit (retire) falls between.
    const text = await clusterMetrics(workers.metrics.inputs((i) => workers.isServing(i)), primaryProcess, own);
    return reply.type(own.contentType).send(text);
  });
  return app;
}

/**
 * The aggregated /metrics text. The primary's process metrics (tsp_process_*, tsp_nodejs_*) go
 * into the aggregation with the workers' (and the exited workers' counters): CPU seconds, memory
 * and handles are summed over the pod's processes, event-loop lag averaged. The one prom-client
 * leaves out of an aggregation, tsp_process_start_time_seconds, is the primary's (the pod's
 * start): its metrics come first, with that metric's aggregator turned from "omit" to "first".
 */
export async function clusterMetrics(workerInputs: MetricJson[][], primaryProcess: MetricJson[], own: Registry): Promise<string> {
  const primary = primaryProcess.map((m) => (m.aggregator === 'omit' ? { ...m, aggregator: 'first' } : m));
  return Registry.merge([AggregatorRegistry.aggregate([primary, ...workerInputs]), own]).metrics();
}

/**
 * The status word: 'starting' until every worker first served; 'shutting-down'; 'unavailable'
 * when no worker serves; 'degraded' when some do not; else 'ok'.
 */
function overallState(workers: WorkerCluster, slots: readonly { state: string }[]): string {
  if (workers.state !== 'serving') return workers.state;
  const serving = slots.filter((s) => s.state === 'serving').length;
  if (serving === 0) return 'unavailable';
  return serving < slots.length ? 'degraded' : 'ok';
}

export interface ClusterHealthBody {
  status: string;
  config: WorkerHealth['config'];
  events: WorkerHealth['events'];
  workers: Array<{
    index: number;
    pid: number | null;
    state: string;
    restarts: number;
    lastExit: { code: number | null; signal: string | null; at: string } | null;
    lastFailure: string | null;
    /** Null when the worker has not answered (starting, restarting, unresponsive, or busy past the timeout). */
    requests: number | null;
    config: WorkerHealth['config'] | null;
    events: WorkerHealth['events'] | null;
  }>;
}

/** The /health body: the single-process shape at top level, aggregated, plus each worker. */
export function clusterHealth(workers: WorkerCluster, replies: readonly StatusReply[]): ClusterHealthBody {
  const answered = replies.flatMap((r) => (r.health !== undefined ? [r.health] : []));
  // Config only from serving workers (a starting one reads sequence 0); the laggiest of them
  // (lowest sequence, then oldest success) describes the proxy.
  const servingConfigs = replies.flatMap((r) => (r.health !== undefined && r.slot.state === 'serving' ? [r.health.config] : []));
  const laggiest = [...servingConfigs].sort((a, b) => a.sequence - b.sequence || (a.lastSuccessAt ?? '').localeCompare(b.lastSuccessAt ?? ''))[0];
  const config: WorkerHealth['config'] = {
    sequence: laggiest?.sequence ?? 0,
    tenants: laggiest?.tenants ?? 0,
    invalidTenants: laggiest?.invalidTenants ?? 0,
    lastSuccessAt: laggiest?.lastSuccessAt ?? null,
    lastError: servingConfigs.find((c) => c.lastError !== null)?.lastError ?? null,
    consecutiveFailures: Math.max(0, ...servingConfigs.map((c) => c.consecutiveFailures)),
  };
  const events = {
    queueDepth: answered.reduce((a, h) => a + h.events.queueDepth, 0),
    dropped: answered.reduce((a, h) => a + h.events.dropped, 0),
  };
  const state = overallState(workers, replies.map((r) => r.slot));
  const status = state === 'ok' && config.lastError !== null ? 'degraded' : state;
  return {
    status,
    config,
    events,
    workers: replies.map(({ slot, health }) => ({
      index: slot.index,
      pid: slot.pid ?? null,
      state: slot.state,
      restarts: slot.restarts,
      lastExit: slot.lastExit ?? null,
      lastFailure: slot.lastFailure ?? null,
      requests: health?.requests ?? null,
      config: health?.config ?? null,
      events: health?.events ?? null,
    })),
  };
}

/** The primary's own metrics. */
function primaryRegistry(workers: WorkerCluster): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'tsp_proxy_workers',
    help: `API worker processes by state (${SLOT_STATES.join(', ')})`,
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(SLOT_STATES.map((s) => [s, 0]));
      for (const s of workers.snapshot()) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Counter({
    name: 'tsp_proxy_worker_restarts_total',
    help: 'API worker processes restarted after an unexpected exit',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(workers.restartsTotal);
    },
  });
  return registry;
}
