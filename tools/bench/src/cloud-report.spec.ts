import { buildCloudReport, CloudSample, cloudScenarioId, cloudTargets, formatCloudReport } from './cloud-report';
import { readOptions } from './options';
import type { ScenarioResult } from './report';

function row(id: string, rps: number, p50: number, p99: number, connections: number, ratio = 0): ScenarioResult {
  return {
    id, label: id, target: 'proxy-cloud', path: '/api/1/document/wrap', tenantId: 't', docsPerRequest: 1, documentsPerSecond: rps,
    connections, ratioVsBaseline: ratio, checkProblem: null, ok: true,
    requests: rps * 5, seconds: 5, requestsPerSecond: rps, latencyP50Ms: p50, latencyP99Ms: p99, non2xx: 0, socketErrors: 0,
  };
}

function sample(kind: CloudSample['kind'], proxyCpuMs: number, kmsCalls: number): CloudSample {
  return { provider: 'aws', kind, injectedLatencyMs: kind === 'ceiling' ? 0 : 20, wallMs: 5000, proxyCpuMs, fakesCpuMs: 500, kmsCalls };
}

describe('cloud report', () => {
  const results = [
    row(cloudScenarioId('aws', 'unleased'), 2000, 95, 140, 200),
    row(cloudScenarioId('aws', 'light'), 180, 21.5, 24, 4),
    row(cloudScenarioId('aws', 'ceiling'), 2500, 80, 120, 200),
    row(cloudScenarioId('aws', 'leased'), 9000, 5, 9, 50, 0.7),
  ];
  const samples = new Map<string, CloudSample>([
    [cloudScenarioId('aws', 'unleased'), sample('unleased', 5000, 10_000)],
    [cloudScenarioId('aws', 'light'), sample('light', 900, 900)],
    [cloudScenarioId('aws', 'ceiling'), sample('ceiling', 5000, 12_500)],
    [cloudScenarioId('aws', 'leased'), sample('leased', 4500, 0)],
  ]);
  const report = buildCloudReport(results, samples, { injectedLatencyMs: 20, connections: 200, proxyWarnings: [] });

  it('computes the latency bound, its fraction, the added latency and the CPU per KMS call', () => {
    if (report.skipped) throw new Error('unexpected skip');
    expect(report.providers).toHaveLength(1);
    const aws = report.providers[0];
    expect(aws?.latencyBoundRequestsPerSecond).toBe(10_000);
    expect(aws?.fractionOfLatencyBound).toBeCloseTo(0.2);
    expect(aws?.addedLatencyP50Ms).toBe(75);
    expect(aws?.addedLatencyP99Ms).toBe(120);
    expect(aws?.addedLatencyLightP50Ms).toBeCloseTo(1.5);
    expect(aws?.addedLatencyLightP99Ms).toBeCloseTo(4);
    expect(aws?.ceiling?.proxyCpuMsPerRequest).toBeCloseTo(0.4);
    expect(aws?.ceiling?.proxyCores).toBeCloseTo(1);
    expect(aws?.leased?.proxyCpuMsPerRequest).toBeCloseTo(0.1);
    expect(aws?.kmsCallCpuMs).toBeCloseTo(0.3);
    expect(aws?.unleased?.kmsCallsPerRequest).toBeCloseTo(1);
  });

  it('checks unleased >= 0.8 of the bound and leased >= 0.6 of the baseline', () => {
    expect(cloudTargets(report).map((t) => [t.value, t.target, t.pass])).toEqual([
      [0.2, 0.8, false],
      [0.7, 0.6, true],
    ]);
    expect(formatCloudReport(report)).toContain('aws unleased, CPU ceiling');
  });

  it('reads the cloud settings', () => {
    const def = readOptions({});
    expect([def.skipCloud, def.cloudLatencyMs, def.cloudConnections]).toEqual([false, 20, 200]);
    const set = readOptions({ BENCH_SKIP_CLOUD: '1', BENCH_CLOUD_LATENCY_MS: '5', BENCH_CLOUD_CONNECTIONS: '100' });
    expect([set.skipCloud, set.cloudLatencyMs, set.cloudConnections]).toEqual([true, 5, 100]);
    expect(() => readOptions({ BENCH_CLOUD_LATENCY_MS: '0' })).toThrow(/BENCH_CLOUD_LATENCY_MS/);
  });
});
