import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics';

/**
 * The proxy's Prometheus metrics. Labels are tenant-independent (route, code, provider...) so
 * cardinality stays bounded; no label ever carries a secret. Hot-path children are bound once.
 *
 * With several worker processes (TSP_WORKERS) the primary merges the workers' registries with
 * prom-client's AggregatorRegistry.aggregate, using each metric's `aggregator`: counters and
 * histograms are summed (prom-client's default); the queue depth is summed (events waiting in
 * all workers); the config sequence and last-success time take the minimum (the laggiest
 * worker: an alert on staleness fires when any worker is stale); tenant counts take the maximum
 * (every worker loads the same document; during a change the newest count shows).
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  /** Labels route, status, code: on the hot path, so a FastCounter. */
  readonly requests: FastCounter;
  /** Label route. */
  readonly latency: FastHistogram;
  readonly kmsCalls: Counter<'provider' | 'operation' | 'outcome'>;
  readonly kmsLatency: Histogram<'provider' | 'operation'>;
  readonly redundantWrapSkipped: Counter<'provider' | 'code'>;
  /** Labels kms_config_id, provider, operation; bounded (see KmsConfigCallCounter). */
  readonly kmsConfigCalls: FastCounter;
  /** Label result; counted per leased unwrap, so a FastCounter. */
  readonly leasedKeyCache: FastCounter;
  readonly eventQueueDepth: Gauge;
  /** Label category; counted per event, so a FastCounter. */
  readonly eventsEnqueued: FastCounter;
  readonly eventsDropped: Counter;
  /** Labels language, version: counted per request, so a FastCounter. */
  readonly clients: FastCounter;
  readonly configRefreshes: Counter<'outcome'>;
  readonly configTenants: Gauge<'state'>;
  readonly configLastSuccess: Gauge;
  readonly configSequence: Gauge;

  constructor(collectDefaults = true) {
    const registers = [this.registry];
    if (collectDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'tsp_' });
    this.requests = new FastCounter('tsp_requests_total', 'API requests by route, HTTP status and TSP error code (0 = success)', this.registry);
    this.latency = new FastHistogram(
      'tsp_request_duration_seconds',
      'API request latency by route (until the answer is handed to the socket)',
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      this.registry,
    );
    this.kmsCalls = new Counter({ name: 'tsp_kms_calls_total', help: 'Calls to tenant KMSes', labelNames: ['provider', 'operation', 'outcome'], registers });
    this.kmsLatency = new Histogram({
      name: 'tsp_kms_call_duration_seconds', help: 'KMS call latency', labelNames: ['provider', 'operation'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.redundantWrapSkipped = new Counter({ name: 'tsp_kms_redundant_wrap_skipped_total', help: 'Secondary configs left out of a redundant wrap because their KMS failed', labelNames: ['provider', 'code'], registers });
    this.kmsConfigCalls = new FastCounter('tsp_kms_config_calls_total', 'KMS calls per KMS config (the first 1000 configs seen; the rest as kms_config_id="other")', this.registry);
    this.leasedKeyCache = new FastCounter('tsp_leased_key_cache_total', 'Leased-key lookups for unwrap: hit, miss (KMS call), shared (joined a call in flight)', this.registry);
    this.eventQueueDepth = new Gauge({ name: 'tsp_event_queue_depth', help: 'Security events waiting in the in-process queue', registers, aggregator: 'sum' });
    this.eventsEnqueued = new FastCounter('tsp_events_enqueued_total', 'Security events accepted into the queue', this.registry);
    this.eventsDropped = new Counter({ name: 'tsp_events_dropped_total', help: 'Security events dropped because the queue was full', registers });
    this.clients = new FastCounter('tsp_client_requests_total', 'Requests by Tenant Security Client language and version (x-icl-tsc-* headers)', this.registry);
    this.configRefreshes = new Counter({ name: 'tsp_config_refresh_total', help: 'Config document fetches by outcome (updated, unchanged, failed)', labelNames: ['outcome'], registers });
    this.configTenants = new Gauge({ name: 'tsp_config_tenants', help: 'Tenants in the loaded config by state (valid, invalid)', labelNames: ['state'], registers, aggregator: 'max' });
    this.configLastSuccess = new Gauge({ name: 'tsp_config_last_success_timestamp_seconds', help: 'When the config was last fetched successfully', registers, aggregator: 'min' });
    this.configSequence = new Gauge({ name: 'tsp_config_sequence', help: 'Sequence number of the loaded config document', registers, aggregator: 'min' });
  }
}
