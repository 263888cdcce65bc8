import type { ConfigHealth } from './health-server';
import type { ProxyConfig } from './proxy-config';
import type { LifecycleState } from './lifecycle';

/**
 * The IPC messages between the proxy's cluster primary and its workers (TSP_WORKERS >= 2). The
 * config, secrets included, travels only over this channel (a socket pair between the two
 * processes): never on disk, in the environment or in a log line (the primary forks its workers
 * without the settings' variables: worker-env.ts).
 */

/** One metric as prom-client's registry.getMetricsAsJSON() gives it (what AggregatorRegistry.aggregate takes). */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

/**
 * registry.getMetricsAsJSON() as MetricJson[]: prom-client's typings declare `type` a numeric
 * enum, but the objects carry its names ('counter', 'gauge', 'histogram', 'summary').
 */
export function asMetricJson(metrics: readonly object[]): MetricJson[] {
  return metrics as unknown as MetricJson[];
}

/** A worker's view of itself, as /health reports it per worker. */
export interface WorkerHealth {
  state: LifecycleState;
  config: ConfigHealth;
  events: { queueDepth: number; dropped: number };
  /** API requests this worker answered (the sum of its tsp_requests_total). */
  requests: number;
}

export type PrimaryMessage =
  | { type: 'tsp:config'; index: number; config: ProxyConfig }
  | { type: 'tsp:shutdown' }
  /** Asks for the worker's health, and its metrics as registry.getMetricsAsJSON() when `metrics`. */
  | { type: 'tsp:status'; id: number; metrics: boolean }
  /** Liveness probe, about every second: a worker whose event loop runs answers at once (tsp:pong). */
  | { type: 'tsp:ping'; id: number };

export type WorkerMessage =
  /** The worker listens for messages: send it the config. */
  | { type: 'tsp:hello' }
  | { type: 'tsp:serving'; apiPort: number }
  /** The worker drains (SIGTERM sent to it, or asked): not ready any more. */
  | { type: 'tsp:stopping' }
  /** Startup failed: `config` while building the runtime from config, `start` while starting it. */
  | { type: 'tsp:failed'; phase: 'config' | 'start'; message: string }
  | { type: 'tsp:status'; id: number; health: WorkerHealth; metrics?: MetricJson[] }
  | { type: 'tsp:pong'; id: number };

function typed(m: unknown): m is { type: unknown } {
  return typeof m === 'object' && m !== null && 'type' in m;
}

/** A message from the primary (cluster-internal and prom-client messages are not ours). */
export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typed(m) && (m.type === 'tsp:config' || m.type === 'tsp:shutdown' || m.type === 'tsp:status' || m.type === 'tsp:ping');
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typed(m) && (m.type === 'tsp:hello' || m.type === 'tsp:serving' || m.type === 'tsp:stopping' || m.type === 'tsp:failed' || m.type === 'tsp:status' || m.type === 'tsp:pong');
}
