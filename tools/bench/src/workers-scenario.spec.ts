import { readOptions } from './options';
import { formatWorkersReport, pidsFromHealth, WorkersReport, workersReport, WorkersRun, WorkersRunId, workersTargets } from './workers-scenario';

const run = (id: WorkersRunId, rps: number, proxyCores: number): WorkersRun => ({
  id,
  workers: id === 'w2' ? 2 : 1,
  proxies: id === 'w2i' ? 2 : 1,
  requestsPerSecond: rps,
  latencyP50Ms: 3,
  latencyP99Ms: 20,
  wallMs: 10_000,
  proxyCpuMs: proxyCores * 10_000,
  loadGeneratorCpuMs: 2_000,
  machineCpuMs: 19_000,
  requestsPerProxyCpuSecond: rps / proxyCores,
  ok: true,
});

test('the ratios: 2 workers / 1, two independent proxies / 1, and the cluster / two independent proxies', () => {
  const r = workersReport(2, [run('w1', 10_000, 0.9), run('w2', 15_000, 1.35), run('w2i', 16_000, 1.4)]);
  if (r.skipped) throw new Error('not skipped');
  expect(r.rateRatio).toBeCloseTo(1.5, 10);
  expect(r.efficiencyRatio).toBeCloseTo(1, 10);
  expect(r.projectedRatio).toBeCloseTo(2, 10);
  expect(r.independentRatio).toBeCloseTo(1.6, 10);
  expect(r.independentEfficiencyRatio).toBeCloseTo(16_000 / 1.4 / (10_000 / 0.9), 10);
  expect(r.clusterVsIndependent).toBeCloseTo(0.9375, 10);
  // A missing run gives NaN, which no target passes.
  const partial = workersReport(2, [run('w1', 10_000, 0.9), run('w2', 15_000, 1.35)]);
  expect(partial.skipped === false && Number.isNaN(partial.clusterVsIndependent)).toBe(true);
  expect(workersTargets(partial)[1]?.pass).toBe(false);
});

test('the 1.8x target is checked on the rate ratio, the 0.9 one on the cluster against two independent proxies', () => {
  const r = workersReport(2, [run('w1', 10_000, 0.9), run('w2', 15_000, 1.35), run('w2i', 16_000, 1.4)]);
  expect(workersTargets(r)).toEqual([
    expect.objectContaining({ value: 1.5, target: 1.8, comparison: '>=', pass: false }),
    expect.objectContaining({ value: 0.9375, target: 0.9, comparison: '>=', pass: true }),
  ]);
  const worse = workersReport(2, [run('w1', 10_000, 0.9), run('w2', 18_500, 1.8), run('w2i', 21_000, 1.9)]);
  expect(workersTargets(worse).map((t) => t.pass)).toEqual([true, false]);
});

test('the report shows the three rows with cores and efficiency, and the summary ratios', () => {
  const r: WorkersReport = workersReport(2, [run('w1', 10_000, 0.9), run('w2', 15_000, 1.35), { ...run('w2i', 16_000, 1.4), ok: false }]);
  const text = formatWorkersReport(r);
  expect(text).toContain('x1.50 (target 1.8)');
  expect(text).toContain('two independent processes / 1: x1.60');
  expect(text).toContain('cluster / two independent processes: x0.94 (target 0.9)');
  expect(text).toContain('2 / 1: x1.00 (two independent processes / 1: x1.03), so with two whole cores');
  expect(text).toContain('about x2.00');
  expect(text).toMatch(/\(w1\) TSP_WORKERS=1\s+10,000\s+3\.00\s+20\.00\s+0\.90\s+0\.20\s+1\.90\s+0\.80\s+11,111/);
  expect(text).toMatch(/\(w2\) TSP_WORKERS=2\s+15,000\s+3\.00\s+20\.00\s+1\.35\s+0\.20\s+1\.90\s+0\.35\s+11,111/);
  expect(text).toMatch(/\(w2i\) 2 x TSP_WORKERS=1, independent {2}<-- FLAGGED\s+16,000\s+3\.00\s+20\.00\s+1\.40\s+0\.20\s+1\.90\s+0\.30\s+11,429/);
});

test('BENCH_SKIP_WORKERS=1 skips the runs', () => {
  expect(readOptions({}).skipWorkers).toBe(false);
  expect(readOptions({ BENCH_SKIP_WORKERS: '1' }).skipWorkers).toBe(true);
  expect(workersTargets({ skipped: true, reason: 'BENCH_SKIP_WORKERS=1' })).toEqual([]);
  expect(formatWorkersReport({ skipped: true, reason: 'BENCH_SKIP_WORKERS=1' })).toContain('skipped');
});

test('the measured pids: the primary and the running workers only (a restarting slot has pid null)', () => {
  const body = { status: 'degraded', workers: [{ index: 0, pid: 1201, state: 'serving' }, { index: 1, pid: null, state: 'restarting' }] };
  expect(pidsFromHealth(1200, body)).toEqual([1200, 1201]);
  expect(pidsFromHealth(1200, { status: 'ok' })).toEqual([1200]);
});
