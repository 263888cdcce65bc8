import type { FastifyInstance } from 'fastify';
import type { Logger } from '@tsp/observability';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryLoop, DeliveryOptions } from './delivery-loop';
import { EventSink, FileSink } from './file-sink';
import { buildLogdriverApp, LifecycleState } from './logdriver-app';
import type { LogdriverConfig } from './logdriver-config';
import { LogdriverMetrics } from './logdriver-metrics';
import { RetentionPurger } from './retention-purger';
import { Spool } from './spool';

export interface LogdriverRuntime {
  app: FastifyInstance;
  spool: Spool;
  delivery: DeliveryLoop;
  state(): LifecycleState;
  start(): Promise<{ port: number }>;
  shutdown(): Promise<void>;
}

export interface RuntimeOverrides {
  sink?: EventSink;
  delivery?: Partial<DeliveryOptions>;
}

/** Wires the logdriver together from validated config. Nothing here reads env. */
export function createLogdriverRuntime(config: LogdriverConfig, logger: Logger, over: RuntimeOverrides = {}): LogdriverRuntime {
  let state: LifecycleState = 'starting';
  const spool = new Spool(config.spoolDir);
  const metrics = new LogdriverMetrics(spool);
  const sink = over.sink ?? new FileSink(config.eventsDir);
  const delivery = new DeliveryLoop(spool, sink, logger, {
    ...DEFAULT_DELIVERY_OPTIONS,
    ...over.delivery,
    onDelivered(sinkName, n, oldestCreatedAt) {
      metrics.delivered.child({ sink: sinkName })(n);
      metrics.deliveryLag.observe(Math.max(0, (Date.now() - oldestCreatedAt) / 1000));
    },
    onFailure(sinkName) {
      metrics.deliveryFailures.inc({ sink: sinkName });
    },
  });
  const purger = new RetentionPurger(spool, config.retentionSeconds * 1000, logger, (n) => metrics.purged.inc(n));

  const app = buildLogdriverApp({
    spool,
    state: () => state,
    registry: metrics.registry,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    spoolStatus: () => ({ pendingEvents: spool.pendingCount() }),
    committed(accepted, duplicates) {
      metrics.acceptedBy(accepted + duplicates);
      metrics.spooledBy(accepted);
      metrics.duplicatesBy(duplicates);
      if (accepted > 0) delivery.notify();
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
    delivery,
    state: () => state,
    async start() {
      await app.listen({ host: config.host, port: config.port });
      delivery.start();
      purger.start();
      state = 'serving';
      const a = app.server.address();
      return { port: typeof a === 'object' && a !== null ? a.port : 0 };
    },
    /**
     * Graceful stop: the intake answers 503 and health 500 at once (the server stays open while
     * the delivery batch in flight finishes, so the state is visible), then the server closes
     * and then the DB. A request whose handler already ran has committed: handlers are
     * synchronous against the spool and check the state first.
     */
    async shutdown() {
      if (stopped) return;
      stopped = true;
      state = 'shutting-down';
      purger.stop();
      await delivery.stop();
      await app.close();
      spool.close();
    },
  };
}
