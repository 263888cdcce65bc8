import type { CloudProvider } from '@tsp/test-support';
import type { ScenarioResult } from './report';
import { TargetCheck, targetCheck } from './targets';
import { fmt, table } from './text-table';

/** What was measured around one cloud run, besides the load generator's figures. */
export interface CloudSample {
  provider: CloudProvider;
  kind: 'unleased' | 'light' | 'ceiling' | 'leased';
  injectedLatencyMs: number;
  wallMs: number;
  /** CPU of the proxy process (all threads) during the measured run. */
  proxyCpuMs: number;
  /** CPU of the bench process (the three fakes, plus the idle bench) during the measured run. */
  fakesCpuMs: number;
  /** KMS requests the fake answered during the measured run. */
  kmsCalls: number;
}

export function cloudScenarioId(provider: CloudProvider, kind: CloudSample['kind']): string {
  return `cloud-${provider}-${kind}-wrap`;
}

/** One cloud run as the report shows it. */
export interface CloudRunFigures {
  scenarioId: string;
  ok: boolean;
  connections: number;
  injectedLatencyMs: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Proxy CPU ms (all threads) per request answered. */
  proxyCpuMsPerRequest: number;
  /** Proxy CPU time / wall time: 1 = one core busy all the time. */
  proxyCores: number;
  /** CPU ms of the bench process (the three fakes) per request. */
  fakesCpuMsPerRequest: number;
  /** KMS requests the fake answered per request answered by the proxy. */
  kmsCallsPerRequest: number;
}

export interface CloudProviderFigures {
  provider: CloudProvider;
  /** connections x 1000 / injected latency: the rate waiting alone allows. */
  latencyBoundRequestsPerSecond: number;
  unleased: CloudRunFigures | undefined;
  /** Unleased at a few connections: the proxy is not saturated, nothing queues. */
  light: CloudRunFigures | undefined;
  /** Unleased with 0 ms injected: what the proxy's CPU allows. */
  ceiling: CloudRunFigures | undefined;
  leased: CloudRunFigures | undefined;
  fractionOfLatencyBound: number | undefined;
  /** Unleased p50/p99 minus the injected latency, at `connections` (saturated: includes queueing). */
  addedLatencyP50Ms: number | undefined;
  addedLatencyP99Ms: number | undefined;
  /** The same at a few connections: the proxy's own added latency per request. */
  addedLatencyLightP50Ms: number | undefined;
  addedLatencyLightP99Ms: number | undefined;
  leasedRatioVsBaseline: number | undefined;
  /** Proxy CPU per unleased wrap (0 ms run) minus per leased wrap: the cost of one KMS call through the SDK. */
  kmsCallCpuMs: number | undefined;
}

export type CloudReport =
  | { skipped: true; reason: string }
  | { skipped: false; injectedLatencyMs: number; connections: number; providers: CloudProviderFigures[]; proxyWarnings: string[] };

function runFigures(r: ScenarioResult | undefined, s: CloudSample | undefined): CloudRunFigures | undefined {
  if (r === undefined || s === undefined) return undefined;
  const n = r.requests > 0 ? r.requests : Number.NaN;
  return {
    scenarioId: r.id,
    ok: r.ok,
    connections: r.connections,
    injectedLatencyMs: s.injectedLatencyMs,
    requestsPerSecond: r.requestsPerSecond,
    latencyP50Ms: r.latencyP50Ms,
    latencyP99Ms: r.latencyP99Ms,
    proxyCpuMsPerRequest: s.proxyCpuMs / n,
    proxyCores: s.proxyCpuMs / s.wallMs,
    fakesCpuMsPerRequest: s.fakesCpuMs / n,
    kmsCallsPerRequest: s.kmsCalls / n,
  };
}

/** Per-provider figures from the scenario rows (ratios already computed) and the samples. */
export function buildCloudReport(
  results: readonly ScenarioResult[],
  samples: ReadonlyMap<string, CloudSample>,
  opts: { injectedLatencyMs: number; connections: number; proxyWarnings: string[] },
): CloudReport {
  const providers: CloudProviderFigures[] = [];
  for (const provider of ['aws', 'gcp', 'azure'] as const) {
    const fig = (kind: CloudSample['kind']): CloudRunFigures | undefined => {
      const id = cloudScenarioId(provider, kind);
      return runFigures(results.find((r) => r.id === id), samples.get(id));
    };
    const unleased = fig('unleased');
    const light = fig('light');
    const ceiling = fig('ceiling');
    const leased = fig('leased');
    if (unleased === undefined && light === undefined && ceiling === undefined && leased === undefined) continue;
    const bound = (opts.connections * 1000) / opts.injectedLatencyMs;
    providers.push({
      provider,
      latencyBoundRequestsPerSecond: bound,
      unleased,
      light,
      ceiling,
      leased,
      fractionOfLatencyBound: unleased === undefined ? undefined : unleased.requestsPerSecond / bound,
      addedLatencyP50Ms: unleased === undefined ? undefined : unleased.latencyP50Ms - opts.injectedLatencyMs,
      addedLatencyP99Ms: unleased === undefined ? undefined : unleased.latencyP99Ms - opts.injectedLatencyMs,
      addedLatencyLightP50Ms: light === undefined ? undefined : light.latencyP50Ms - opts.injectedLatencyMs,
      addedLatencyLightP99Ms: light === undefined ? undefined : light.latencyP99Ms - opts.injectedLatencyMs,
      leasedRatioVsBaseline: results.find((r) => r.id === cloudScenarioId(provider, 'leased'))?.ratioVsBaseline,
      kmsCallCpuMs: ceiling === undefined || leased === undefined ? undefined : ceiling.proxyCpuMsPerRequest - leased.proxyCpuMsPerRequest,
    });
  }
  return { skipped: false, injectedLatencyMs: opts.injectedLatencyMs, connections: opts.connections, providers, proxyWarnings: opts.proxyWarnings };
}

export function cloudTargets(c: CloudReport): TargetCheck[] {
  if (c.skipped) return [];
  const out: TargetCheck[] = [];
  for (const p of c.providers) {
    if (p.fractionOfLatencyBound !== undefined) {
      out.push(targetCheck(`${p.provider} unleased wrap / latency bound (${fmt(p.latencyBoundRequestsPerSecond)} req/s)`, p.fractionOfLatencyBound, '>=', 0.8));
    }
    if (p.leasedRatioVsBaseline !== undefined) out.push(targetCheck(`${p.provider} leased wrap / baseline (req/s)`, p.leasedRatioVsBaseline, '>=', 0.6));
  }
  return out;
}

/** The cloud section of the printed report. */
export function formatCloudReport(c: CloudReport): string {
  if (c.skipped) return `cloud KMS: skipped (${c.reason})`;
  const out: string[] = [];
  out.push(
    `cloud KMS (loopback fakes in the bench process, ${c.injectedLatencyMs} ms injected on every KMS request; unleased at ` +
      `${c.connections} connections, latency bound ${fmt((c.connections * 1000) / c.injectedLatencyMs)} req/s):`,
  );
  const rows: string[][] = [];
  for (const p of c.providers) {
    const row = (name: string, r: CloudRunFigures | undefined, extra: string): string[] =>
      r === undefined
        ? [`${p.provider} ${name}`, '-', '-', '-', '-', '-', '-', '-', '-', '-', extra]
        : [
            `${p.provider} ${name}${r.ok ? '' : '  <-- FLAGGED'}`,
            `${r.injectedLatencyMs}`,
            `${r.connections}`,
            fmt(r.requestsPerSecond),
            fmt(r.latencyP50Ms, 2),
            fmt(r.latencyP99Ms, 2),
            fmt(r.proxyCpuMsPerRequest, 3),
            fmt(r.proxyCores, 2),
            fmt(r.fakesCpuMsPerRequest, 3),
            fmt(r.kmsCallsPerRequest, 2),
            extra,
          ];
    rows.push(
      row('unleased', p.unleased, `${fmt((p.fractionOfLatencyBound ?? Number.NaN) * 100, 1)}% of bound; added p50 ${fmt(p.addedLatencyP50Ms, 2)} / p99 ${fmt(p.addedLatencyP99Ms, 2)} ms`),
      row('unleased, light load', p.light, `added p50 ${fmt(p.addedLatencyLightP50Ms, 2)} / p99 ${fmt(p.addedLatencyLightP99Ms, 2)} ms (no queueing)`),
      row('unleased, CPU ceiling', p.ceiling, `KMS call ~${fmt(p.kmsCallCpuMs, 3)} proxy CPU ms`),
      row('leased', p.leased, `${fmt(p.leasedRatioVsBaseline, 2)} x baseline`),
    );
  }
  out.push(table(['run', 'inj ms', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'proxy CPU ms/req', 'proxy cores', 'fakes CPU ms/req', 'KMS calls/req', 'notes'], rows, 1));
  out.push(
    '(proxy CPU from /proc/<pid>/stat over the measured run; "proxy cores" near 1 means the proxy, one Node thread plus its pool, is CPU-bound; ' +
      '"KMS call" = proxy CPU per unleased wrap at 0 ms minus per leased wrap)',
  );
  out.push(
    `(added latency = p50/p99 - ${c.injectedLatencyMs} ms injected; at ${c.connections} connections the proxy is saturated and it is mostly queueing ` +
      'for its one core; the light-load row is the per-request cost)',
  );
  for (const w of c.proxyWarnings) out.push(`  proxy stderr: ${w}`);
  return out.join('\n');
}
