import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter } from '@tsp/observability';

/** What the gauges read at scrape time. */
export interface GaugeSource {
  pendingEvents(): number;
  oldestPendingAt(): number | undefined;
  deadLetters(): number;
  heldTenants(): number;
  activeTenants(): number;
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
  /** Label sink (the sink type). */
  readonly delivered: FastCounter;
  /** Sends to sinks, labels sink and outcome (delivered, retry, reject, partial). */
  readonly sends: Counter<'sink' | 'outcome'>;
  /** Events in sends that will be retried, label sink. */
  readonly retried: Counter<'sink'>;
  readonly deadLettered: Counter<'sink'>;
  /** Events refused at the intake, label reason (tenant_quota). */
  readonly dropped: Counter<'reason'>;
  readonly rejectedBatches: Counter<'reason'>;
  /** Seconds from intake commit to delivery, per event (observed once per batch with the oldest). */
  readonly deliveryLag: Histogram;
  readonly purged: Counter;

  constructor(source: GaugeSource, collectDefaults = true) {
    const registers = [this.registry];
    if (collectDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'tsp_logdriver_' });
    this.acceptedBy = new FastCounter('tsp_logdriver_events_accepted_total', 'Events in intake batches acknowledged with 200', this.registry).child({});
    this.spooledBy = new FastCounter('tsp_logdriver_events_spooled_total', 'Events newly committed to the spool', this.registry).child({});
    this.duplicatesBy = new FastCounter('tsp_logdriver_events_duplicate_total', 'Events received again (eventId already in the spool) and ignored', this.registry).child({});
    this.delivered = new FastCounter('tsp_logdriver_events_delivered_total', 'Events a sink accepted, by sink type', this.registry);
    this.sends = new Counter({ name: 'tsp_logdriver_sends_total', help: 'Sends to sinks by sink type and outcome (delivered, retry, reject, partial)', labelNames: ['sink', 'outcome'], registers });
    this.retried = new Counter({ name: 'tsp_logdriver_events_retried_total', help: 'Events in sends that failed and will be retried, by sink type', labelNames: ['sink'], registers });
    this.deadLettered = new Counter({ name: 'tsp_logdriver_events_dead_lettered_total', help: 'Events a sink refused for good, stored as dead letters, by sink type', labelNames: ['sink'], registers });
    this.dropped = new Counter({ name: 'tsp_logdriver_events_dropped_total', help: 'Events refused at the intake and not stored, by reason (tenant_quota)', labelNames: ['reason'], registers });
    this.rejectedBatches = new Counter({ name: 'tsp_logdriver_rejected_batches_total', help: 'Intake batches refused (nothing of them stored), by reason', labelNames: ['reason'], registers });
    this.deliveryLag = new Histogram({
      name: 'tsp_logdriver_delivery_lag_seconds', help: 'Seconds from intake commit to delivery (the oldest event of each delivered batch)', registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
    });
    this.purged = new Counter({ name: 'tsp_logdriver_events_purged_total', help: 'Delivered events deleted from the spool after the retention', registers });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name, help, registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge('tsp_logdriver_spool_pending_events', 'Events in the spool waiting for delivery (to the least advanced sink of each active tenant)', () => source.pendingEvents());
    gauge('tsp_logdriver_oldest_pending_age_seconds', 'Age of the oldest undelivered event (0 when none waits)', () => {
      const t = source.oldestPendingAt();
      return t === undefined ? 0 : Math.max(0, (Date.now() - t) / 1000);
    });
    gauge('tsp_logdriver_dead_letters', 'Dead letters in the store (see npm run dead-letters)', () => source.deadLetters());
    gauge('tsp_logdriver_tenants_held', 'Tenants whose logging config is invalid: their events are held in the spool', () => source.heldTenants());
    gauge('tsp_logdriver_active_tenants', 'Tenants with open delivery pipelines', () => source.activeTenants());
  }
}
