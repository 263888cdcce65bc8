import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { ProxyMetrics } from '@tsp/observability';
import { asMetricJson } from './cluster-messages';
import { clusterMetrics } from './cluster-health';
import { WorkerMetricsCache } from './worker-metrics-cache';

/** A worker's metrics as it sends them: requests counted, one latency, a queue depth, its config sequence. */
async function workerReply(requests: number, sequence: number, queueDepth: number): Promise<ReturnType<typeof asMetricJson>> {
  const m = new ProxyMetrics(false);
  if (requests > 0) m.requests.child({ route: 'wrap', status: '200', code: '0' })(requests);
  m.latency.child({ route: 'wrap' })(0.002);
  m.eventQueueDepth.set(queueDepth);
  m.configSequence.set(sequence);
  return asMetricJson(await m.registry.getMetricsAsJSON());
}

async function text(cache: WorkerMetricsCache, serving: (slot: number) => boolean): Promise<string> {
  return AggregatorRegistry.aggregate(cache.inputs(serving)).metrics();
}

function sample(t: string, series: string): number | undefined {
  const line = t.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const REQUESTS = 'tsp_requests_total{route="wrap",status="200",code="0"}';
const LATENCY_COUNT = 'tsp_request_duration_seconds_count{route="wrap"}';

test('a retired worker keeps its counters and histograms in the sum, not its gauges', async () => {
  const cache = new WorkerMetricsCache(2);
  cache.update(0, await workerReply(5, 9, 4));
  cache.update(1, await workerReply(7, 9, 3));
  const all = (): boolean => true;
  expect(sample(await text(cache, all), REQUESTS)).toBe(12);

  cache.retire(0);
  const afterExit = await text(cache, all);
  expect(sample(afterExit, REQUESTS)).toBe(12);
  expect(sample(afterExit, LATENCY_COUNT)).toBe(2);
  expect(sample(afterExit, 'tsp_event_queue_depth')).toBe(3); // a dead worker's queue is gone

  // Its replacement starts from 0: the total goes on from 12.
  cache.update(0, await workerReply(1, 9, 0));
  expect(sample(await text(cache, all), REQUESTS)).toBe(13);
  // Dying again adds its count once more; nothing is counted twice.
  cache.retire(0);
  cache.retire(0);
  expect(sample(await text(cache, all), REQUESTS)).toBe(13);
});

test('inputs taken before a worker exits are not changed by its retirement (no double count)', async () => {
  const cache = new WorkerMetricsCache(2);
  cache.update(0, await workerReply(5, 9, 0));
  cache.update(1, await workerReply(7, 9, 0));
  cache.retire(0); // retired: 5
  const held = cache.inputs(() => true); // retired 5 + worker 1's 7
  cache.retire(1); // worker 1 exits while a scrape holds `held`
  expect(sample(await AggregatorRegistry.aggregate(held).metrics(), REQUESTS)).toBe(12);
  expect(sample(await text(cache, () => true), REQUESTS)).toBe(12);
});

test('a silent worker: its last reply stands in (the total does not drop)', async () => {
  const cache = new WorkerMetricsCache(2);
  cache.update(0, await workerReply(5, 9, 0));
  cache.update(1, await workerReply(7, 9, 0));
  // Worker 1 does not answer the next scrape: only worker 0 updates.
  cache.update(0, await workerReply(6, 9, 0));
  expect(sample(await text(cache, () => true), REQUESTS)).toBe(13);
});

test('config gauges come from serving workers only (a starting worker reads sequence 0)', async () => {
  const cache = new WorkerMetricsCache(2);
  cache.update(0, await workerReply(1, 12, 0));
  cache.update(1, await workerReply(0, 0, 0));
  expect(sample(await text(cache, (slot) => slot === 0), 'tsp_config_sequence')).toBe(12);
  expect(sample(await text(cache, () => true), 'tsp_config_sequence')).toBe(0);
});

test("the primary's process metrics join the aggregate; the start time is the primary's", async () => {
  const primary = new Registry();
  const worker = new Registry();
  for (const [r, start, cpu] of [[primary, 1000, 1], [worker, 2000, 5]] as const) {
    const g = new Gauge({ name: 'tsp_process_start_time_seconds', help: 'start', registers: [r], aggregator: 'omit' });
    g.set(start);
    const c = new Counter({ name: 'tsp_process_cpu_seconds_total', help: 'cpu', registers: [r] });
    c.inc(cpu);
  }
  const t = await clusterMetrics([asMetricJson(await worker.getMetricsAsJSON())], asMetricJson(await primary.getMetricsAsJSON()), new Registry());
  expect(sample(t, 'tsp_process_start_time_seconds')).toBe(1000);
  expect(sample(t, 'tsp_process_cpu_seconds_total')).toBe(6);
});
