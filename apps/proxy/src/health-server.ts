import Fastify, { FastifyInstance } from 'fastify';
import type { ConfigStatus } from '@tsp/broker-client';
import type { Registry } from 'prom-client';
import type { Lifecycle } from './lifecycle';

export interface HealthDeps {
  lifecycle: Lifecycle;
  registry: Registry;
  configStatus(): Readonly<ConfigStatus>;
  /** Tenants served and tenants refused (config failed to open or validate). */
  tenantCounts(): { tenants: number; invalidTenants: number };
  eventStatus(): { queueDepth: number; dropped: number };
}

/** The `config` part of /health, from the loader's status and the tenant counts. */
export interface ConfigHealth {
  sequence: number;
  tenants: number;
  invalidTenants: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
}

/** The /health `config` view of one proxy process (the cluster primary gets it from each worker). */
export function configHealth(deps: Pick<HealthDeps, 'configStatus' | 'tenantCounts'>): ConfigHealth {
  const config = deps.configStatus();
  return {
    sequence: config.sequence,
    ...deps.tenantCounts(),
    lastSuccessAt: config.lastSuccessAt === undefined ? null : new Date(config.lastSuccessAt).toISOString(),
    lastError: config.lastError ?? null,
    consecutiveFailures: config.consecutiveFailures,
  };
}

/**
 * Health on its own port: /live (200 unless shutting down), /ready and /health (200 when
 * serving, 500 while starting or shutting down; /health adds detail, and says "degraded" when
 * the last config refresh failed), and Prometheus /metrics.
 */
export function buildHealthServer(deps: HealthDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const serving = (): boolean => deps.lifecycle.state === 'serving';

  app.get('/live', async (_req, reply) => {
    const ok = deps.lifecycle.state !== 'shutting-down';
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'live' : deps.lifecycle.state });
  });
  app.get('/ready', async (_req, reply) => {
    return reply.code(serving() ? 200 : 500).send({ status: serving() ? 'ready' : deps.lifecycle.state });
  });
  app.get('/health', async (_req, reply) => {
    const config = configHealth(deps);
    const degraded = config.lastError !== null;
    const status = !serving() ? deps.lifecycle.state : degraded ? 'degraded' : 'ok';
    return reply.code(serving() ? 200 : 500).send({ status, config, events: deps.eventStatus() });
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return app;
}
