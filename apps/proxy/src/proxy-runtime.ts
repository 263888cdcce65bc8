import type { FastifyInstance } from 'fastify';
import { ConfigLoader, createConfigSource, HttpConfigSource, HttpSecretCreator, LoadedConfig, tenantSecretsUrl } from '@tsp/broker-client';
import { assertPublicKeyMatches, decodePrivateKey, decodePublicKey } from '@tsp/config-crypto';
import { EventChannel, EventQueue, HttpEventChannel, MAX_EVENTS_PER_BATCH, NullEventChannel, StreamEventChannel } from '@tsp/events';
import { KmsProviderRegistry } from '@tsp/kms-core';
import { awsKmsFactory } from '@tsp/kms-aws';
import { azureKmsFactory } from '@tsp/kms-azure';
import { createGcpKmsFactory } from '@tsp/kms-gcp';
import { localKmsFactory } from '@tsp/kms-local';
import {
  buildTenantRegistry,
  DeriveService,
  KeyService,
  LeaseManager,
  RandomPool,
  ReadOnlySecretSource,
} from '@tsp/key-service';
import { Logger, ProxyMetrics } from '@tsp/observability';
import { ApiKeyAuth } from './api-key-auth';
import { buildApiServer } from './app';
import { EventRecorder, StrictAudit } from './event-recorder';
import { buildHealthServer, HealthDeps } from './health-server';
import { Lifecycle } from './lifecycle';
import type { ProxyConfig } from './proxy-config';
import { StrictAuditMetrics } from './strict-audit-metrics';

export interface ProxyRuntime {
  api: FastifyInstance;
  health: FastifyInstance;
  lifecycle: Lifecycle;
  loader: ConfigLoader;
  queue: EventQueue;
  /** What the health server reports; a cluster worker reports it to the primary instead. */
  healthDeps: HealthDeps;
  /** Starts serving; `{ health: false }` (a cluster worker): no health listener, healthPort 0. */
  start(opts?: { health?: boolean }): Promise<{ apiPort: number; healthPort: number }>;
  shutdown(): Promise<void>;
}

/** Wires the proxy together from validated config. Nothing here reads env or files. */
export function createProxyRuntime(config: ProxyConfig, logger: Logger, eventStream?: NodeJS.WritableStream): ProxyRuntime {
  const metrics = new ProxyMetrics();
  const lifecycle = new Lifecycle();

  const providers = new KmsProviderRegistry()
    .register(localKmsFactory)
    .register(awsKmsFactory)
    .register(createGcpKmsFactory({ timeoutMs: config.kmsTimeoutMs }))
    .register(azureKmsFactory);
  const configCalls = new KmsConfigCallCounter(metrics);
  const pool = new RandomPool();
  const leases = new LeaseManager(pool, {
    cacheSize: config.leasedKeyCacheSize,
    cacheTtlMs: config.leasedKeyCacheTtlSeconds * 1000,
    onCache: leasedKeyCacheCounter(metrics),
  });
  const keys = new KeyService({
    pool,
    leases,
    kmsTimeoutMs: config.kmsTimeoutMs,
    batchKmsConcurrency: config.batchKmsConcurrency,
    observer: {
      kmsCall(provider, operation, ok, seconds, kmsConfigId) {
        metrics.kmsCalls.inc({ provider, operation, outcome: ok ? 'ok' : 'error' });
        metrics.kmsLatency.observe({ provider, operation }, seconds);
        configCalls.count(kmsConfigId, provider, operation);
      },
      redundantWrapSkipped(provider, code) {
        metrics.redundantWrapSkipped.inc({ provider, code: String(code) });
      },
    },
  });

  const signingKey = decodePrivateKey(config.signingKey, 'ed25519', 'TSP_SA_SIGNING_KEY');
  assertPublicKeyMatches(signingKey, config.signingPublicKey, 'ed25519', 'TSP_SA_SIGNING_PUBLIC_KEY');
  const encryptionKey = decodePrivateKey(config.encryptionKey, 'x25519', 'TSP_SA_ENCRYPTION_KEY');
  assertPublicKeyMatches(encryptionKey, config.encryptionPublicKey, 'x25519', 'TSP_SA_ENCRYPTION_PUBLIC_KEY');
  const source = createConfigSource(config.configUrl, config.serviceConfigId, signingKey, 'TSP_CONFIG_URL');
  // A broker (http(s) source) creates tenant secrets on demand; a file cannot.
  const secretCreator =
    source instanceof HttpConfigSource
      ? new HttpSecretCreator({
          url: tenantSecretsUrl(new URL(config.configUrl)),
          serviceAccountId: config.serviceConfigId,
          signingKey,
          keys,
          timeoutMs: config.configFetchTimeoutSeconds * 1000,
        })
      : new ReadOnlySecretSource(`the config source ${source.description} cannot create tenant secrets: add the secret to the config document (tsp-admin) or serve configs from a broker`);
  const derive = new DeriveService(keys, secretCreator, {
    cacheSize: config.leasedKeyCacheSize,
    cacheTtlMs: config.leasedKeyCacheTtlSeconds * 1000,
  });

  const apply = (loaded: LoadedConfig): void => {
    const registry = buildTenantRegistry(loaded.tenants, providers, loaded.sequence, keys.getRegistry());
    keys.setRegistry(registry);
    derive.clearCache();
    metrics.configTenants.set({ state: 'valid' }, registry.tenants.size);
    metrics.configTenants.set({ state: 'invalid' }, registry.invalid.size);
    metrics.configSequence.set(loaded.sequence);
    for (const [tenantId, problems] of registry.invalid) logger.warn('tenant config rejected', { tenantId, problems });
    logger.info('config applied', { sequence: loaded.sequence, tenants: registry.tenants.size, invalidTenants: registry.invalid.size });
  };
  const loader = new ConfigLoader({
    source,
    serviceAccountId: config.serviceConfigId,
    brokerPublicKey: decodePublicKey(config.brokerPublicKey, 'ed25519', 'TSP_BROKER_PUBLIC_KEY'),
    encryptionKey,
    fetchTimeoutMs: config.configFetchTimeoutSeconds * 1000,
    longPollSeconds: config.configLongPollSeconds,
    apply,
    onRefresh(outcome, error) {
      metrics.configRefreshes.inc({ outcome });
      if (outcome !== 'failed') metrics.configLastSuccess.set(Date.now() / 1000);
      else logger.error('config refresh failed; keeping the last good config', { error });
    },
  });

  const channel: EventChannel =
    config.logdriverUrl !== ''
      ? new HttpEventChannel(config.logdriverUrl, config.logdriverTimeoutMs)
      : config.eventOutput === 'none'
        ? new NullEventChannel()
        : new StreamEventChannel(eventStream);
  // Strict audit: retries while the logdriver fails back off to at most a quarter of the strict
  // timeout, so a logdriver that comes back is used again within one timeout.
  const strict: StrictAudit | undefined =
    config.auditMode === 'strict' ? { timeoutMs: config.auditStrictTimeoutMs, metrics: new StrictAuditMetrics(metrics) } : undefined;
  const queue = new EventQueue(channel, {
    capacity: config.eventQueueSize,
    maxBatch: MAX_EVENTS_PER_BATCH,
    flushIntervalMs: 100,
    ...(strict !== undefined ? { maxBackoffMs: Math.min(5000, Math.max(100, Math.floor(strict.timeoutMs / 4))) } : {}),
    onDepth: (d) => metrics.eventQueueDepth.set(d),
    onDrop: (n) => metrics.eventsDropped.inc(n),
    onSendError: (err) => logger.warn('event channel send failed; will retry', { error: err instanceof Error ? err.message : String(err) }),
  });
  const enqueued = { kms: metrics.eventsEnqueued.child({ category: 'kms' }), application: metrics.eventsEnqueued.child({ category: 'application' }) };
  const events = new EventRecorder(queue, (category) => enqueued[category](), strict);

  const api = buildApiServer({
    keys,
    derive,
    events,
    auth: new ApiKeyAuth(config.apiKeys),
    metrics,
    logger,
    limits: { maxBatchSize: config.maxBatchSize, maxIdLength: 512, maxBodyBytes: config.maxBodyBytes },
  });
  const healthDeps: HealthDeps = {
    lifecycle,
    registry: metrics.registry,
    configStatus: () => loader.status(),
    tenantCounts: () => ({ tenants: keys.getRegistry().tenants.size, invalidTenants: keys.getRegistry().invalid.size }),
    eventStatus: () => ({ queueDepth: queue.depth, dropped: queue.droppedCount }),
  };
  const health = buildHealthServer(healthDeps);
  let healthListening = false;

  return {
    api,
    health,
    lifecycle,
    loader,
    queue,
    healthDeps,
    async start(opts = {}) {
      if (opts.health !== false) {
        await health.listen({ host: config.host, port: config.healthPort });
        healthListening = true;
      }
      await loader.loadInitial();
      loader.start(config.configRefreshSeconds * 1000);
      queue.start();
      await api.listen({ host: config.host, port: config.port });
      lifecycle.state = 'serving';
      if (strict !== undefined) logger.info('strict audit mode: requests answer after the logdriver acknowledged their events', { timeoutMs: strict.timeoutMs });
      return { apiPort: portOf(api), healthPort: healthListening ? portOf(health) : 0 };
    },
    async shutdown() {
      lifecycle.state = 'shutting-down';
      loader.stop();
      await api.close();
      await queue.close();
      if (healthListening) await health.close();
    },
  };
}

/**
 * KMS calls per config, to see leasing at work (one call per lease per proxy). Config ids are
 * not secret but unbounded in number: the first MAX_CONFIG_SERIES configs get their own series,
 * later ones share kms_config_id="other", so a large fleet cannot blow up the series count.
 */
const MAX_CONFIG_SERIES = 1000;

class KmsConfigCallCounter {
  private readonly series = new Map<string, () => void>();
  constructor(private readonly metrics: ProxyMetrics) {}

  count(kmsConfigId: number, provider: string, operation: string): void {
    const key = `${kmsConfigId}|${provider}|${operation}`;
    let inc = this.series.get(key);
    if (inc === undefined) {
      const id = this.series.size < MAX_CONFIG_SERIES ? String(kmsConfigId) : 'other';
      inc = this.metrics.kmsConfigCalls.child({ kms_config_id: id, provider, operation });
      if (id !== 'other') this.series.set(key, inc);
    }
    inc();
  }
}

/** Cache lookups counted through children bound once (no label hashing per request). */
function leasedKeyCacheCounter(metrics: ProxyMetrics): (result: 'hit' | 'miss' | 'shared') => void {
  const counters = {
    hit: metrics.leasedKeyCache.child({ result: 'hit' }),
    miss: metrics.leasedKeyCache.child({ result: 'miss' }),
    shared: metrics.leasedKeyCache.child({ result: 'shared' }),
  };
  return (result) => counters[result]();
}

function portOf(app: FastifyInstance): number {
  const a = app.server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}
