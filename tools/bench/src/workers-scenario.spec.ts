import { readOptions } from './options';
import { formatWorkersReport, pidsFromHealth, WorkersReport, WorkersRun, workersTargets } from './workers-scenario';

const run = (workers: number, rps: number, proxyCores: number): WorkersRun => ({
  workers,
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

test('the 1.8x target is checked on the rate ratio; the report shows cores and efficiency', () => {
  const runs = [run(1, 10_000, 0.9), run(2, 15_000, 1.35)];
  const r: WorkersReport = { skipped: false, cpus: 2, runs, rateRatio: 1.5, efficiencyRatio: 1, projectedRatio: 2 };
  expect(workersTargets(r)).toEqual([expect.objectContaining({ value: 1.5, target: 1.8, pass: false })]);
  expect(workersTargets({ ...r, rateRatio: 1.85 })[0]?.pass).toBe(true);
  const text = formatWorkersReport(r);
  expect(text).toContain('x1.50 (target 1.8)');
  expect(text).toContain('about x2.00');
  expect(text).toMatch(/TSP_WORKERS=2\s+15,000\s+3\.00\s+20\.00\s+1\.35\s+0\.20\s+1\.90\s+0\.35\s+11,111/);
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
