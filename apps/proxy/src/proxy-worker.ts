import { isolateCloudSdkEnvironment } from '@tsp/app-support';
import { createLogger, Logger } from '@tsp/observability';
import { asMetricJson, isPrimaryMessage, MetricJson, WorkerHealth, WorkerMessage } from './cluster-messages';
import { configHealth } from './health-server';
import type { ProxyConfig } from './proxy-config';
import { LineGroupedWriter } from './line-grouped-writer';
import { createProxyRuntime, ProxyRuntime } from './proxy-runtime';

/**
 * One API worker of the proxy's cluster (TSP_WORKERS >= 2): the full proxy runtime (its own
 * config loader and long-poll, leased-key cache and event queue) listening on the shared API
 * port, without a health listener: the primary serves health from what each worker reports.
 * The config arrives over IPC from the primary, which validated it; it is frozen here, and
 * nothing here reads env (the worker is forked without the settings' variables) or files.
 *
 * Signals: a Ctrl-C reaches the whole process group, so the primary and every worker get SIGINT;
 * the primary owns it and asks each worker to drain (tsp:shutdown), so a worker ignores SIGINT
 * (draining twice, or exiting early, would cut requests). SIGTERM sent to one worker drains that
 * worker (the primary then restarts it). If the primary dies, node's cluster module exits each
 * worker at once when the IPC channel closes (before any listener of ours could drain it): a
 * primary crash cuts the requests in flight, which is why the primary is kept minimal (no API
 * traffic, no KMS or broker calls).
 */
export function runProxyWorker(): void {
  let runtime: ProxyRuntime | undefined;
  let logger: Logger | undefined;
  let stopping = false;

  const send = (m: WorkerMessage): void => {
    if (process.connected) process.send?.(m, undefined, {}, () => undefined);
  };

  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    send({ type: 'tsp:stopping' });
    logger?.info('worker shutting down', { reason });
    try {
      await runtime?.shutdown();
    } catch (e) {
      logger?.error('worker shutdown failed', { error: (e as Error).message });
      process.exit(1);
    }
    process.exit(0);
  };

  const start = async (index: number, config: ProxyConfig): Promise<void> => {
    isolateCloudSdkEnvironment(process.env);
    logger = createLogger({ level: config.logLevel, service: 'tsp-proxy' }).child({ worker: index });
    try {
      runtime = createProxyRuntime(config, logger, new LineGroupedWriter(process.stdout));
    } catch (e) {
      send({ type: 'tsp:failed', phase: 'config', message: (e as Error).message });
      process.exit(1);
    }
    try {
      const { apiPort } = await runtime.start({ health: false });
      if (stopping) return;
      logger.debug('worker serving', { pid: process.pid, apiPort });
      send({ type: 'tsp:serving', apiPort });
    } catch (e) {
      if (stopping) return;
      send({ type: 'tsp:failed', phase: 'start', message: (e as Error).message });
      await runtime.shutdown().catch(() => undefined);
      process.exit(1);
    }
  };

  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('message', (m: unknown) => {
    if (!isPrimaryMessage(m)) return;
    if (m.type === 'tsp:ping') {
      send({ type: 'tsp:pong', id: m.id });
    } else if (m.type === 'tsp:config') {
      if (runtime === undefined && !stopping) void start(m.index, freezeConfig(m.config));
    } else if (m.type === 'tsp:shutdown') {
      void stop('asked by the primary');
    } else {
      void status(runtime, m.metrics).then(
        ({ health, metrics }) => send({ type: 'tsp:status', id: m.id, health, ...(metrics !== undefined ? { metrics } : {}) }),
        (e: unknown) => logger?.warn('worker status failed', { error: (e as Error).message }),
      );
    }
  });
  send({ type: 'tsp:hello' });
}

/** The config as received (a structured clone): frozen like the one parseProxyConfig returns. */
function freezeConfig(config: ProxyConfig): ProxyConfig {
  return Object.freeze({ ...config, apiKeys: Object.freeze([...config.apiKeys]) });
}

const EMPTY_HEALTH: WorkerHealth = {
  state: 'starting',
  config: { sequence: 0, tenants: 0, invalidTenants: 0, lastSuccessAt: null, lastError: null, consecutiveFailures: 0 },
  events: { queueDepth: 0, dropped: 0 },
  requests: 0,
};

interface Sample {
  value: number;
}

/** This worker's health and, when asked, its metrics as JSON for AggregatorRegistry.aggregate. */
async function status(runtime: ProxyRuntime | undefined, withMetrics: boolean): Promise<{ health: WorkerHealth; metrics?: MetricJson[] }> {
  if (runtime === undefined) return { health: EMPTY_HEALTH, ...(withMetrics ? { metrics: [] } : {}) };
  const d = runtime.healthDeps;
  const requestsMetric = d.registry.getSingleMetric('tsp_requests_total');
  const requests = requestsMetric === undefined ? [] : ((await requestsMetric.get()).values as Sample[]);
  const health: WorkerHealth = {
    state: d.lifecycle.state,
    config: configHealth(d),
    events: d.eventStatus(),
    requests: requests.reduce((a, s) => a + s.value, 0),
  };
  return withMetrics ? { health, metrics: asMetricJson(await d.registry.getMetricsAsJSON()) } : { health };
}
