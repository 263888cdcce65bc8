import { AggregatorRegistry } from 'prom-client';
import { ProxyMetrics } from './metrics';

/** Two workers' registries merged as the cluster primary merges them (TSP_WORKERS >= 2). */
async function aggregated(a: ProxyMetrics, b: ProxyMetrics): Promise<string> {
  return AggregatorRegistry.aggregate([await a.registry.getMetricsAsJSON(), await b.registry.getMetricsAsJSON()]).metrics();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('counters and histograms sum, queue depth sums, config sequence and last success take the laggiest worker, tenants the maximum', async () => {
  const [a, b] = [new ProxyMetrics(false), new ProxyMetrics(false)];
  a.requests.child({ route: 'wrap', status: '200', code: '0' })(3);
  b.requests.child({ route: 'wrap', status: '200', code: '0' })(4);
  a.latency.child({ route: 'wrap' })(0.002);
  b.latency.child({ route: 'wrap' })(0.2);
  a.eventsDropped.inc(2);
  b.eventsDropped.inc(5);
  a.eventQueueDepth.set(10);
  b.eventQueueDepth.set(7);
  a.configSequence.set(12);
  b.configSequence.set(11);
  a.configLastSuccess.set(2000);
  b.configLastSuccess.set(1000);
  a.configTenants.set({ state: 'valid' }, 40);
  b.configTenants.set({ state: 'valid' }, 41);

  const text = await aggregated(a, b);
  expect(sample(text, 'tsp_requests_total{route="wrap",status="200",code="0"}')).toBe(7);
  expect(sample(text, 'tsp_request_duration_seconds_count{route="wrap"}')).toBe(2);
  expect(sample(text, 'tsp_request_duration_seconds_bucket{le="0.0025",route="wrap"}')).toBe(1);
  expect(sample(text, 'tsp_events_dropped_total')).toBe(7);
  expect(sample(text, 'tsp_event_queue_depth')).toBe(17);
  expect(sample(text, 'tsp_config_sequence')).toBe(11);
  expect(sample(text, 'tsp_config_last_success_timestamp_seconds')).toBe(1000);
  expect(sample(text, 'tsp_config_tenants{state="valid"}')).toBe(41);
});
