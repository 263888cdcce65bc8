import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the request hot path. prom-client hashes the label set on every
 * call, even through a bound child; here a child is a plain closure over its own slot, and the
 * Prometheus text is built only when /metrics is scraped (the objects implement what a
 * prom-client Registry asks of a metric: name, help, type, get()).
 */
type Labels = Record<string, string>;

interface SampleValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** What Registry#metrics() reads from a metric's get(). */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: SampleValue[];
}

abstract class FastMetric<S> {
  protected readonly slots = new Map<string, { labels: Labels; slot: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected slotFor(labels: Labels, make: () => S): S {
    const key = JSON.stringify(labels);
    let s = this.slots.get(key);
    if (s === undefined) {
      s = { labels, slot: make() };
      this.slots.set(key, s);
    }
    return s.slot;
  }
}

export class FastCounter extends FastMetric<{ value: number }> {
  readonly type = 'counter';
  readonly aggregator = 'sum';

  /** An incrementer for one label set; call it once per event. */
  child(labels: Labels): (by?: number) => void {
    const slot = this.slotFor(labels, () => ({ value: 0 }));
    return (by = 1) => {
      slot.value += by;
    };
  }

  async get(): Promise<MetricSnapshot> {
    const values = [...this.slots.values()].map(({ labels, slot }) => ({ labels, value: slot.value }));
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
  }
}

interface HistogramSlot {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram extends FastMetric<HistogramSlot> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(name: string, help: string, private readonly buckets: readonly number[], registry: Registry) {
    super(name, help, registry);
  }

  /** An observer for one label set. */
  child(labels: Labels): (value: number) => void {
    const slot = this.slotFor(labels, () => ({ counts: new Float64Array(this.buckets.length), sum: 0, count: 0 }));
    const buckets = this.buckets;
    return (v) => {
      for (let i = 0; i < buckets.length; i++) {
        if (v <= buckets[i]) {
          slot.counts[i]++;
          break;
        }
      }
      slot.sum += v;
      slot.count++;
    };
  }

  async get(): Promise<MetricSnapshot> {
    const values: SampleValue[] = [];
    for (const { labels, slot } of this.slots.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += slot.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: slot.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: slot.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: slot.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
