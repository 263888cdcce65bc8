import { Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics';

test('a FastCounter child counts per label set in the Prometheus text', async () => {
  const registry = new Registry();
  const c = new FastCounter('t_requests_total', 'help text', registry);
  const wrap = c.child({ route: 'wrap', code: '0' });
  const failed = c.child({ route: 'wrap', code: '201' });
  wrap();
  wrap();
  failed(3);
  const text = await registry.metrics();
  expect(text).toContain('# TYPE t_requests_total counter');
  expect(text).toContain('t_requests_total{route="wrap",code="0"} 2');
  expect(text).toContain('t_requests_total{route="wrap",code="201"} 3');
  // The same label set asked again shares the slot.
  c.child({ route: 'wrap', code: '0' })();
  expect(await registry.metrics()).toContain('t_requests_total{route="wrap",code="0"} 3');
});

test('a FastHistogram gives the same exposition as a prom-client Histogram', async () => {
  const buckets = [0.001, 0.01, 0.1, 1];
  const fastRegistry = new Registry();
  const refRegistry = new Registry();
  const fast = new FastHistogram('t_latency_seconds', 'latency', buckets, fastRegistry).child({ route: 'wrap' });
  const ref = new Histogram({ name: 't_latency_seconds', help: 'latency', labelNames: ['route'], buckets, registers: [refRegistry] });
  for (const v of [0.0005, 0.001, 0.002, 0.05, 0.5, 2, 7, 0.0001]) {
    fast(v);
    ref.observe({ route: 'wrap' }, v);
  }
  expect(await fastRegistry.metrics()).toBe(await refRegistry.metrics());
});
