import Fastify, { FastifyInstance } from 'fastify';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { WorkerHealth } from './cluster-messages';
import type { StatusReply, WorkerCluster } from './worker-cluster';

/** How long /health and /metrics wait for a worker's answer before reporting it as silent. */
const STATUS_TIMEOUT_MS = 2000;

/**
 * The cluster primary's health port (TSP_WORKERS >= 2), the same endpoints as one process:
 * /live 200 unless shutting down; /ready 200 only when every worker serves; /health the
 * single-process shape aggregated over the workers (config of the laggiest worker: lowest
 * sequence; event queue depth and drops summed) plus `workers: [...]`; /metrics the workers'
 * registries merged by AggregatorRegistry.aggregate with each metric's aggregator (see
 * ProxyMetrics), plus tsp_proxy_workers and tsp_proxy_worker_restarts_total.
 */
export function buildClusterHealthServer(workers: WorkerCluster): FastifyInstance {
  const app = Fastify({ logger: false });
  const own = primaryRegistry(workers);

  app.get('/live', async (_req, reply) => {
    const ok = workers.state !== 'shutting-down';
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'live' : workers.state });
  });
  app.get('/ready', async (_req, reply) => {
    const ok = workers.ready();
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'ready' : overallState(workers) });
  });
  app.get('/health', async (_req, reply) => {
    const replies = await workers.status(false, STATUS_TIMEOUT_MS);
    const ok = workers.ready();
    return reply.code(ok ? 200 : 500).send(clusterHealth(workers, replies));
  });
  app.get('/metrics', async (_req, reply) => {
    const replies = await workers.status(true, STATUS_TIMEOUT_MS);
    const perWorker = replies.flatMap((r) => (r.metrics !== undefined ? [r.metrics] : []));
    const merged = Registry.merge([AggregatorRegistry.aggregate(perWorker), own]);
    return reply.type(own.contentType).send(await merged.metrics());
  });
  return app;
}

/** 'starting' before every worker first served, 'restarting' while one is not serving, else the cluster state. */
function overallState(workers: WorkerCluster): string {
  if (workers.state !== 'serving') return workers.state;
  return workers.ready() ? 'serving' : 'restarting';
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
    /** Null when the worker has not answered (starting, restarting, or busy past the timeout). */
    requests: number | null;
    config: WorkerHealth['config'] | null;
    events: WorkerHealth['events'] | null;
  }>;
}

/** The /health body: the single-process shape at top level, aggregated, plus each worker. */
export function clusterHealth(workers: WorkerCluster, replies: readonly StatusReply[]): ClusterHealthBody {
  const answered = replies.flatMap((r) => (r.health !== undefined ? [r.health] : []));
  // The laggiest worker's config (lowest sequence, then oldest success) describes the proxy.
  const laggiest = [...answered].sort((a, b) => a.config.sequence - b.config.sequence || (a.config.lastSuccessAt ?? '').localeCompare(b.config.lastSuccessAt ?? ''))[0];
  const config: WorkerHealth['config'] = {
    sequence: laggiest?.config.sequence ?? 0,
    tenants: laggiest?.config.tenants ?? 0,
    invalidTenants: laggiest?.config.invalidTenants ?? 0,
    lastSuccessAt: laggiest?.config.lastSuccessAt ?? null,
    lastError: answered.find((h) => h.config.lastError !== null)?.config.lastError ?? null,
    consecutiveFailures: Math.max(0, ...answered.map((h) => h.config.consecutiveFailures)),
  };
  const events = {
    queueDepth: answered.reduce((a, h) => a + h.events.queueDepth, 0),
    dropped: answered.reduce((a, h) => a + h.events.dropped, 0),
  };
  const state = overallState(workers);
  const status = state !== 'serving' ? state : config.lastError !== null ? 'degraded' : 'ok';
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
    help: 'API worker processes by state (serving, starting, stopping, restarting, stopped)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts: Record<string, number> = { serving: 0, starting: 0, stopping: 0, restarting: 0, stopped: 0 };
      for (const s of workers.snapshot()) counts[s.state] = (counts[s.state] ?? 0) + 1;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
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
