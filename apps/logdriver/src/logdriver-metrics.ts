import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter } from '@tsp/observability';

/** What the spool gauges read at scrape time. */
export interface SpoolGaugeSource {
  pendingCount(): number;
  oldestPendingAt(): number | undefined;
}

/**
 * The logdriver's Prometheus metrics. No label carries a tenant id (unbounded) or a secret.
 * Counters counted per event are FastCounters; the spool gauges are computed when scraped.
 */
export class LogdriverMetrics {
  readonly registry = new Registry();
  /** Events in acknowledged intake batches (new and duplicate). */
  readonly acceptedBy: (n?: number) => void;
  /** Events newly committed to the spool. */
  readonly spooledBy: (n?: number) => void;
  /** Events received again (their eventId was already spooled). */
  readonly duplicatesBy: (n?: number) => void;
  /** Label sink. */
  readonly delivered: FastCounter;
  readonly rejectedBatches: Counter<'reason'>;
  readonly deliveryFailures: Counter<'sink'>;
  /** Seconds from intake commit to delivery, per event (observed once per batch with the oldest). */
  readonly deliveryLag: Histogram;
  readonly purged: Counter;

  constructor(spool: SpoolGaugeSource, collectDefaults = true) {
    const registers = [this.registry];
    if (collectDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'tsp_logdriver_' });
    this.acceptedBy = new FastCounter('tsp_logdriver_events_accepted_total', 'Events in intake batches acknowledged with 200', this.registry).child({});
    this.spooledBy = new FastCounter('tsp_logdriver_events_spooled_total', 'Events newly committed to the spool', this.registry).child({});
    this.duplicatesBy = new FastCounter('tsp_logdriver_events_duplicate_total', 'Events received again (eventId already in the spool) and ignored', this.registry).child({});
    this.delivered = new FastCounter('tsp_logdriver_events_delivered_total', 'Events handed to a sink and marked delivered', this.registry);
    this.rejectedBatches = new Counter({ name: 'tsp_logdriver_rejected_batches_total', help: 'Intake batches refused (nothing of them stored), by reason', labelNames: ['reason'], registers });
    this.deliveryFailures = new Counter({ name: 'tsp_logdriver_delivery_failures_total', help: 'Sink deliveries that failed and will be retried', labelNames: ['sink'], registers });
    this.deliveryLag = new Histogram({
      name: 'tsp_logdriver_delivery_lag_seconds', help: 'Seconds from intake commit to delivery (the oldest event of each delivered batch)', registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
    });
    this.purged = new Counter({ name: 'tsp_logdriver_events_purged_total', help: 'Delivered events deleted from the spool after the retention', registers });
    new Gauge({
      name: 'tsp_logdriver_spool_pending_events', help: 'Events in the spool waiting for delivery', registers,
      collect() {
        this.set(spool.pendingCount());
      },
    });
    new Gauge({
      name: 'tsp_logdriver_oldest_pending_age_seconds', help: 'Age of the oldest undelivered event (0 when none waits)', registers,
      collect() {
        const t = spool.oldestPendingAt();
        this.set(t === undefined ? 0 : Math.max(0, (Date.now() - t) / 1000));
      },
    });
  }
}
