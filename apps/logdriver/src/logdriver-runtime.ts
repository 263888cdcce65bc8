import type { FastifyInstance } from 'fastify';
import { ConfigLoader, createConfigSource } from '@tsp/broker-client';
import { decodePrivateKey, decodePublicKey } from '@tsp/config-crypto';
import type { Logger } from '@tsp/observability';
import type { SinkPlugin } from '@tsp/sinks-core';
import { DeadLetterStore } from './dead-letters';
import { DeliveryScheduler } from './delivery-scheduler';
import { buildLogdriverApp, LifecycleState } from './logdriver-app';
import type { ConfigSourceSettings, LogdriverConfig } from './logdriver-config';
import { LogdriverMetrics } from './logdriver-metrics';
import { RetentionPurger } from './retention-purger';
import { SINK_PLUGINS } from './sink-registry';
import { Spool } from './spool';
import { TenantLogging } from './tenant-logging';

export interface LogdriverRuntime {
  app: FastifyInstance;
  spool: Spool;
  deadLetters: DeadLetterStore;
  scheduler: DeliveryScheduler;
  state(): LifecycleState;
  start(): Promise<{ port: number }>;
  shutdown(): Promise<void>;
}

/** For tests: extra sink types, a default sink type beyond the settings' enum, another stdout. */
export interface RuntimeOverrides {
  plugins?: readonly SinkPlugin[];
  defaultSink?: string;
  stdout?: NodeJS.WritableStream;
  idleCloseMs?: number;
  redrivePollMs?: number;
  initialLoadRetryMs?: number;
  sinkRetryMs?: number;
}

/** How long a first config load that failed waits before it is tried again, ms. */
const INITIAL_LOAD_RETRY_MS = 5000;

/** Wires the logdriver together from validated config. Nothing here reads env. */
export function createLogdriverRuntime(config: LogdriverConfig, logger: Logger, over: RuntimeOverrides = {}): LogdriverRuntime {
  let state: LifecycleState = 'starting';
  const spool = new Spool(config.spoolDir);
  const deadLetters = new DeadLetterStore(spool.handle);
  const plugins = new Map<string, SinkPlugin>([...SINK_PLUGINS, ...(over.plugins ?? [])].map((p) => [p.type, p]));
  const eventsDir = config.eventsDir === '' ? undefined : config.eventsDir;
  const logging = new TenantLogging(plugins, {
    defaultSink: over.defaultSink ?? config.defaultSink,
    maxEvents: config.batchMaxEvents, maxBytes: config.batchMaxBytes, maxAgeMs: config.batchMaxAgeMs,
    ratePerSecond: config.rateLimit, burst: config.rateBurst,
  }, eventsDir);

  let scheduler: DeliveryScheduler;
  const metrics = new LogdriverMetrics({
    pendingEvents: () => scheduler.pendingEvents(),
    oldestPendingAt: () => scheduler.oldestPendingAt(),
    deadLetters: () => deadLetters.total(),
    heldTenants: () => logging.heldTenants().length,
    activeTenants: () => scheduler.activeTenants(),
  });
  scheduler = new DeliveryScheduler(spool, deadLetters, logging, {
    retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs, sendTimeoutMs: config.sendTimeoutMs,
    tenantQuotaBytes: config.tenantQuotaBytes, idleCloseMs: over.idleCloseMs ?? 300_000, redrivePollMs: over.redrivePollMs ?? 2000, sinkRetryMs: over.sinkRetryMs ?? 30_000,
    eventsDir, stdout: over.stdout ?? process.stdout,
  }, logger, {
    sent(sinkType, outcome, events, delivered, oldestCreatedAt) {
      metrics.sends.inc({ sink: sinkType, outcome });
      if (delivered > 0) {
        metrics.delivered.child({ sink: sinkType })(delivered);
        metrics.deliveryLag.observe(Math.max(0, (Date.now() - oldestCreatedAt) / 1000));
      }
      if (outcome === 'retry') metrics.retried.inc({ sink: sinkType }, events);
    },
    deadLettered(sinkType, events) {
      metrics.deadLettered.inc({ sink: sinkType }, events);
    },
  });
  const purger = new RetentionPurger(spool, config.retentionSeconds * 1000, logger, (n) => metrics.purged.inc(n));
  const loader = config.configSource === undefined ? undefined : configLoader(
        config.configSource,
        logger,
        (changed) =>
          void scheduler.reconfigure(changed).catch((err: unknown) => {
            logger.error('delivery pipelines could not be rebuilt after a config change', { error: err instanceof Error ? err.message : String(err) });
          }),
        logging,
      );
  let retryTimer: NodeJS.Timeout | undefined;
  let delivering = false;
  const startDelivery = (): void => {
    if (delivering || state === 'shutting-down') return;
    delivering = true;
    scheduler.start();
    loader?.start((config.configSource?.configRefreshSeconds ?? 600) * 1000);
  };
  /** Until the first document loads, events are accepted and spooled but not delivered. */
  const firstLoad = async (): Promise<void> => {
    if (loader === undefined) return startDelivery();
    try {
      await loader.loadInitial();
      startDelivery();
    } catch (err) {
      logger.error('config document could not be loaded; events are spooled, delivery waits for it', { error: err instanceof Error ? err.message : String(err) });
      if (state !== 'shutting-down') {
        retryTimer = setTimeout(() => void firstLoad(), over.initialLoadRetryMs ?? INITIAL_LOAD_RETRY_MS);
        retryTimer.unref();
      }
    }
  };

  const app = buildLogdriverApp({
    spool,
    admit: (tenantId, bytes) => scheduler.admit(tenantId, bytes),
    state: () => state,
    registry: metrics.registry,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    spoolStatus: () => ({ pendingEvents: scheduler.pendingEvents() }),
    committed(result) {
      metrics.acceptedBy(result.accepted + result.duplicates);
      metrics.spooledBy(result.accepted);
      metrics.duplicatesBy(result.duplicates);
      if (result.refused > 0) {
        metrics.dropped.inc({ reason: 'tenant_quota' }, result.refused);
        logger.warn('events refused: tenant over its spool quota', { events: result.refused, tenants: [...new Set(result.refusedTenants)].slice(0, 10) });
      }
      // Counted even before delivery starts, so the disk quota holds while the config loads.
      scheduler.appended(result);
    },
    refused(reason, err) {
      metrics.rejectedBatches.inc({ reason });
      logger.error('spool commit failed; batch refused', { error: err instanceof Error ? err.message : String(err) });
    },
    rejected(reason) {
      metrics.rejectedBatches.inc({ reason });
    },
  });

  let stopped = false;
  return {
    app,
    spool,
    deadLetters,
    scheduler,
    state: () => state,
    async start() {
      await app.listen({ host: config.host, port: config.port });
      purger.start();
      state = 'serving';
      await firstLoad();
      const a = app.server.address();
      return { port: typeof a === 'object' && a !== null ? a.port : 0 };
    },
    /**
     * Graceful stop: the intake answers 503 and health 500 at once (the server stays open while
     * the sends in flight finish, so the state is visible), then the server closes and then the
     * DB. A request whose handler already ran has committed: handlers are synchronous against
     * the spool and check the state first.
     */
    async shutdown() {
      if (stopped) return;
      stopped = true;
      state = 'shutting-down';
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      loader?.stop();
      purger.stop();
      await scheduler.stop();
      await app.close();
      spool.close();
    },
  };
}

function configLoader(s: ConfigSourceSettings, logger: Logger, changed: (tenantIds: string[]) => void, logging: TenantLogging): ConfigLoader {
  const signingKey = decodePrivateKey(s.signingKey, 'ed25519', 'TSP_SA_SIGNING_KEY');
  return new ConfigLoader({
    source: createConfigSource(s.configUrl, s.serviceConfigId, signingKey, 'TSP_CONFIG_URL'),
    serviceAccountId: s.serviceConfigId,
    brokerPublicKey: decodePublicKey(s.brokerPublicKey, 'ed25519', 'TSP_BROKER_PUBLIC_KEY'),
    encryptionKey: decodePrivateKey(s.encryptionKey, 'x25519', 'TSP_SA_ENCRYPTION_KEY'),
    fetchTimeoutMs: s.configFetchTimeoutSeconds * 1000,
    longPollSeconds: s.configLongPollSeconds,
    apply(loaded) {
      const ids = logging.apply(loaded.tenants);
      const held = logging.heldTenants();
      // Logged once per change of the tenant's config, not on every refresh.
      const changedIds = new Set(ids);
      for (const h of held) if (changedIds.has(h.tenantId)) logger.warn('tenant logging config rejected; its events are held', { tenantId: h.tenantId, problems: h.problems });
      logger.info('logging configs applied', { sequence: loaded.sequence, tenants: loaded.tenants.length, changed: ids.length, held: held.length });
      changed(ids);
    },
    onRefresh(outcome, error) {
      if (outcome === 'failed') logger.error('config refresh failed; keeping the last good logging configs', { error });
    },
  });
}
