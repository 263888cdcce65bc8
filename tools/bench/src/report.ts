import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadResult } from './load-generator';
import type { GeneratedDocument, ProxyMemory } from './memory';
import type { Target } from './scenarios';
import { fmt, table } from './text-table';
import type { TargetCheck } from './targets';
import { CloudReport, formatCloudReport } from './cloud-report';
import type { ThroughputRun } from './logdriver-throughput';
import { BrokerDocumentReport, formatBrokerReport } from './broker-report';
import { formatWorkersReport, WorkersReport } from './workers-scenario';

export { targetCheck } from './targets';
export type { TargetCheck } from './targets';

export interface ScenarioResult extends LoadResult {
  id: string;
  label: string;
  target: Target;
  path: string;
  tenantId: string;
  docsPerRequest: number;
  documentsPerSecond: number;
  /** Open connections of the load generator in this run. */
  connections: number;
  /** requests/s divided by the mean baseline requests/s of this run. */
  ratioVsBaseline: number;
  /** Problem found by the one-request check before the run, or null. */
  checkProblem: string | null;
  /** No non-2xx, no socket errors, the check passed and the server was still up afterwards. */
  ok: boolean;
}

export type MemoryReport =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      tenants: number;
      document: Omit<GeneratedDocument, 'file'>;
      demo: ProxyMemory;
      large: ProxyMemory;
      settleSeconds: number;
      kbPerTenant: number;
      heapBytesPerTenant: number | undefined;
    };

export interface BenchReport {
  generatedAt: string;
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; threads: number; pinnedCpus: boolean };
  machine: { cpus: number; node: string; platform: string };
  loadGenerator: { name: string; version: string };
  proxyEvents: string;
  baselineRequestsPerSecond: number;
  /** |first - repeated| / mean of the two baseline runs: the machine's drift during the run. */
  baselineDriftFraction: number;
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  eventsCost: { withEvents: number; withoutEvents: number; costFraction: number } | undefined;
  memory: MemoryReport;
  /** The config broker serving an N-tenant document to a proxy (broker-document.ts). */
  broker: BrokerDocumentReport;
  cloud: CloudReport;
  /** The proxy with 1 and 2 API workers (TSP_WORKERS), and two independent 1-worker proxies (the control), nothing pinned. */
  workers: WorkersReport;
  logdriver: {
    /** Events/s the logdriver delivered during each (f) row with it, by scenario id. */
    deliveredPerSecondDuring: Record<string, number>;
    throughput: ThroughputRun[];
    strictCost: { strict: number; bestEffort: number; ratio: number; p50Ms: [number, number]; p99Ms: [number, number] } | undefined;
  };
}

/** The human-readable report. */
export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(
    `TSP benchmark ${r.generatedAt}: ${r.loadGenerator.name} ${r.loadGenerator.version}, ${r.settings.connections} connections, ` +
      `${r.settings.threads} threads, ${r.settings.durationSeconds} s per scenario after ${r.settings.warmupSeconds} s warm-up; ` +
      `${r.machine.cpus} CPUs${r.settings.pinnedCpus ? ' (servers pinned to CPU 0, load generator to CPU 1)' : ''}, ` +
      `Node ${r.machine.node}, all on 127.0.0.1`,
  );
  out.push(`proxy events: ${r.proxyEvents}`);
  out.push('');
  const rows = r.scenarios.map((s) => [
    s.ok ? s.label : `${s.label}  <-- FLAGGED`,
    fmt(s.requestsPerSecond),
    fmt(s.documentsPerSecond),
    fmt(s.latencyP50Ms, 2),
    fmt(s.latencyP99Ms, 2),
    fmt(s.ratioVsBaseline, 2),
    fmt(s.requests),
    fmt(s.non2xx),
    fmt(s.socketErrors),
  ]);
  out.push(table(['scenario', 'req/s', 'docs/s', 'p50 ms', 'p99 ms', 'x baseline', 'requests', 'non-2xx', 'sock err'], rows, 1));
  out.push(
    `(ratios use the mean baseline of this run: ${fmt(r.baselineRequestsPerSecond)} req/s; the two baseline runs differ by ` +
      `${fmt(r.baselineDriftFraction * 100, 1)}%: differences smaller than that are noise)`,
  );
  for (const s of r.scenarios.filter((x) => x.checkProblem !== null)) out.push(`  check failed for ${s.id}: ${s.checkProblem ?? ''}`);
  out.push('');
  out.push(
    table(
      ['target', 'value', 'goal', 'result'],
      r.targets.map((t) => [t.name, fmt(t.value, 2), `${t.comparison} ${t.target}`, t.pass ? 'PASS' : 'MISS']),
      1,
    ),
  );
  if (r.eventsCost !== undefined) {
    const e = r.eventsCost;
    const verdict =
      e.costFraction > 0
        ? `events cost about ${fmt(e.costFraction * 100, 1)}% of the leased-wrap rate`
        : 'no measurable events cost (the run with events was not slower; run-to-run noise exceeds it)';
    out.push(
      `events: leased wrap ${fmt(e.withEvents)} req/s with events (stdout to /dev/null) vs ${fmt(e.withoutEvents)} with ` +
        `TSP_EVENT_OUTPUT=none: ${verdict}`,
    );
  }
  const ld = r.logdriver;
  for (const [id, n] of Object.entries(ld.deliveredPerSecondDuring)) out.push(`logdriver: delivered ${fmt(n)} events/s to the file sink during ${id}`);
  if (ld.strictCost !== undefined) {
    const c = ld.strictCost;
    out.push(
      `strict audit mode: ${fmt(c.strict)} req/s vs ${fmt(c.bestEffort)} best effort (x${fmt(c.ratio, 2)}); ` +
        `p50 ${fmt(c.p50Ms[0], 2)} -> ${fmt(c.p50Ms[1], 2)} ms, p99 ${fmt(c.p99Ms[0], 2)} -> ${fmt(c.p99Ms[1], 2)} ms`,
    );
  }
  for (const t of ld.throughput) {
    out.push(
      `logdriver alone (${fmt(t.events)} events, ${t.tenants} tenants, 1000-event batches, 2 connections): accepted ${fmt(t.acceptedPerSecond)} events/s, ` +
        `delivered to ${t.sink} ${fmt(t.deliveredPerSecond)} events/s`,
    );
  }
  out.push('');
  out.push(formatCloudReport(r.cloud));
  out.push('');
  out.push(formatWorkersReport(r.workers));
  out.push('');
  const m = r.memory;
  if (m.skipped) {
    out.push(`memory: skipped (${m.reason})`);
  } else {
    out.push(
      `memory: ${fmt(m.tenants)} tenants (1 local KMS config + 1 secret each), document ${fmt(m.document.bytes / 1048576, 1)} MiB ` +
        `generated in ${fmt(m.document.generateMs / 1000, 1)} s; RSS read ${m.settleSeconds} s after /ready`,
    );
    const memRow = (name: string, p: ProxyMemory): string[] => [
      name,
      fmt(p.tenantsLoaded),
      fmt(p.invalidTenants),
      fmt(p.readyMs / 1000, 2),
      fmt(p.rssKb / 1024, 1),
      fmt(p.peakRssKb / 1024, 1),
      p.heapUsedBytes === undefined ? '-' : fmt(p.heapUsedBytes / 1048576, 1),
      p.probeOk ? `200 (${p.probeTenant})` : `FAILED (${p.probeTenant})`,
    ];
    out.push(
      table(
        ['proxy', 'tenants', 'invalid', 'ready s', 'RSS MiB', 'peak MiB', 'heap MiB', 'wrap probe'],
        [memRow('demo document', m.demo), memRow(`${fmt(m.tenants)}-tenant document`, m.large)],
        1,
      ),
    );
    out.push(
      `(RSS_large - RSS_demo) / tenants = ${fmt(m.kbPerTenant, 2)} KB per tenant` +
        (m.heapBytesPerTenant === undefined ? '' : `; heap used: ${fmt(m.heapBytesPerTenant / 1024, 2)} KB per tenant`),
    );
  }
  out.push('');
  out.push(formatBrokerReport(r.broker));
  return out.join('\n');
}

export function writeJsonReport(file: string, r: BenchReport): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
}
