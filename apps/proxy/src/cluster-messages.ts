import type { ProxyConfig } from './proxy-config';
import type { LifecycleState } from './lifecycle';

/**
 * The IPC messages between the proxy's cluster primary and its workers (TSP_WORKERS >= 2). The
 * config, secrets included, travels only over this channel (a socket pair between the two
 * processes): never on disk, in the environment or in a log line.
 */

/** A worker's view of itself, as /health reports it per worker. */
export interface WorkerHealth {
  state: LifecycleState;
  config: {
    sequence: number;
    tenants: number;
    invalidTenants: number;
    lastSuccessAt: string | null;
    lastError: string | null;
    consecutiveFailures: number;
  };
  events: { queueDepth: number; dropped: number };
  /** API requests this worker answered (the sum of its tsp_requests_total). */
  requests: number;
}

export type PrimaryMessage =
  | { type: 'tsp:config'; index: number; config: ProxyConfig }
  | { type: 'tsp:shutdown' }
  /** Asks for the worker's health, and its metrics as registry.getMetricsAsJSON() when `metrics`. */
  | { type: 'tsp:status'; id: number; metrics: boolean };

export type WorkerMessage =
  /** The worker listens for messages: send it the config. */
  | { type: 'tsp:hello' }
  | { type: 'tsp:serving'; apiPort: number }
  /** The worker drains (SIGTERM sent to it, or asked): not ready any more. */
  | { type: 'tsp:stopping' }
  /** Startup failed: `config` while building the runtime from config, `start` while starting it. */
  | { type: 'tsp:failed'; phase: 'config' | 'start'; message: string }
  | { type: 'tsp:status'; id: number; health: WorkerHealth; metrics?: object[] };

function typed(m: unknown): m is { type: unknown } {
  return typeof m === 'object' && m !== null && 'type' in m;
}

/** A message from the primary (cluster-internal and prom-client messages are not ours). */
export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typed(m) && (m.type === 'tsp:config' || m.type === 'tsp:shutdown' || m.type === 'tsp:status');
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typed(m) && (m.type === 'tsp:hello' || m.type === 'tsp:serving' || m.type === 'tsp:stopping' || m.type === 'tsp:failed' || m.type === 'tsp:status');
}
