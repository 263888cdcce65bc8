import type { MetricJson } from './cluster-messages';

/**
 * The config gauges: only a serving worker's count (a starting worker reads 0, which as the
 * minimum would say the whole proxy has no config).
 */
export const CONFIG_GAUGES: ReadonlySet<string> = new Set(['tsp_config_sequence', 'tsp_config_last_success_timestamp_seconds', 'tsp_config_tenants']);

/** Counters and histograms: summed across workers, so a dead worker's part must stay. */
function isSummedCumulative(m: MetricJson): boolean {
  return (m.type === 'counter' || m.type === 'histogram') && (m.aggregator === undefined || m.aggregator === 'sum');
}

function sampleKey(metricName: string | undefined, labels: Record<string, string | number>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return `${metricName ?? ''}\u0000${JSON.stringify(sorted)}`;
}

/**
 * What the cluster primary knows of its workers' metrics, so the aggregated counters never go
 * backwards: each slot's last metrics reply (reused while a worker is silent: busy past the
 * status timeout, or unresponsive), and the "retired" counters and histograms of every worker
 * that exited, folded in from its last reply and kept in the aggregate for the life of the
 * primary. Counts a worker made after its last reply are lost with it; nothing is counted twice.
 */
export class WorkerMetricsCache {
  private readonly last: Array<MetricJson[] | undefined>;
  /** name -> metric, with values keyed by sample (metricName + labels). */
  private readonly retired = new Map<string, { metric: Omit<MetricJson, 'values'>; values: Map<string, MetricJson['values'][number]> }>();

  constructor(slots: number) {
    this.last = Array.from({ length: slots }, () => undefined);
  }

  /** A fresh metrics reply of the worker in `slot`. */
  update(slot: number, metrics: MetricJson[]): void {
    this.last[slot] = metrics;
  }

  /** The worker in `slot` exited: its counters and histograms move to the retired totals. */
  retire(slot: number): void {
    const metrics = this.last[slot];
    this.last[slot] = undefined;
    for (const m of metrics ?? []) {
      if (!isSummedCumulative(m)) continue;
      let r = this.retired.get(m.name);
      if (r === undefined) {
        r = { metric: { name: m.name, help: m.help, type: m.type, aggregator: 'sum' }, values: new Map() };
        this.retired.set(m.name, r);
      }
      for (const v of m.values) {
        const key = sampleKey(v.metricName, v.labels);
        const prev = r.values.get(key);
        if (prev === undefined) r.values.set(key, { ...v, labels: { ...v.labels } });
        else prev.value += v.value;
      }
    }
  }

  /**
   * The inputs of AggregatorRegistry.aggregate: the retired totals, then each slot's last reply;
   * the config gauges only from the slots `serving` says serve. The retired values are copies
   * (retire() adds to its own in place), so inputs held across a worker's exit stay as they were.
   */
  inputs(serving: (slot: number) => boolean): MetricJson[][] {
    const retired: MetricJson[] = [...this.retired.values()].map((r) => ({ ...r.metric, values: [...r.values.values()].map((v) => ({ ...v, labels: { ...v.labels } })) }));
    const out: MetricJson[][] = retired.length > 0 ? [retired] : [];
    this.last.forEach((metrics, slot) => {
      if (metrics === undefined) return;
      out.push(serving(slot) ? metrics : metrics.filter((m) => !CONFIG_GAUGES.has(m.name)));
    });
    return out;
  }
}
