import type { SeedCounts } from './broker-seed';
import type { ProxyMemory } from './memory';
import { TargetCheck, targetCheck } from './targets';
import { fmt, table } from './text-table';

/** One config document request the bench made itself (signed like a proxy's). */
export interface DocumentFetch {
  status: 200 | 304;
  /** From sending the request to the whole body received. */
  ms: number;
  /** Broker CPU (all threads) during the request. */
  brokerCpuMs: number;
  /** Body bytes on the wire (the broker does not compress). */
  bytes: number;
}

export interface LongPollFigures {
  requests: number;
  waitSeconds: number;
  /** Every request answered 304 and lasted at least `waitSeconds` (less 250 ms of clock slack). */
  allHeld: boolean;
  shortestMs: number;
  wallMs: number;
  brokerCpuMs: number;
  /** Broker CPU over the same wall time with nothing asked of it (its timers), just before. */
  idleCpuMs: number;
  /** Documents the broker built (tenant scans) while the long-polls were open, from its debug log. */
  documentsBuilt: number;
}

export interface BrokerDocumentFigures {
  skipped: false;
  tenants: number;
  seed: {
    counts: SeedCounts;
    ms: number;
    /** Admin events of the seeding acknowledged in the outbox before measuring. */
    outboxAcked: number;
    /** Where the store lived ('tmpfs /dev/shm' or a disk temp dir): seeding is fsync-bound on disk. */
    storage: string;
    dbBytes: number;
  };
  broker: {
    startMs: number;
    /** RSS, KB: started with an empty store; seeded, before any document; after the first document; end of the run. */
    rssEmptyKb: number;
    rssSeededKb: number;
    rssAfterFirstKb: number;
    rssEndKb: number;
    peakRssKb: number;
  };
  /** The first request for the N-tenant document: read, validate, seal every tenant, sign. */
  first: DocumentFetch;
  /** The same request again right after (no If-None-Match): the same work unless the broker reuses it. */
  second: DocumentFetch;
  /** An unchanged fetch (If-None-Match = the ETag): median and slowest of `notModified.requests`. */
  notModified: { requests: number; medianMs: number; maxMs: number; brokerCpuMsEach: number; all304: boolean };
  longPolls: LongPollFigures;
  proxy: {
    baseline: ProxyMemory;
    large: ProxyMemory;
    /** Broker CPU from the large proxy's spawn until its memory was read. */
    brokerCpuMsDuringStart: number;
    kbPerTenant: number;
    heapBytesPerTenant: number | undefined;
  };
}

export type BrokerDocumentReport = { skipped: true; reason: string } | BrokerDocumentFigures;

/** Median of a non-empty list (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Whether the run measured what it claims: every check that is not a goal passed. */
export function brokerRunValid(r: BrokerDocumentReport): boolean {
  if (r.skipped) return true;
  return (
    r.first.status === 200 &&
    r.notModified.all304 &&
    r.longPolls.allHeld &&
    r.proxy.baseline.probeOk &&
    r.proxy.large.probeOk &&
    r.proxy.large.tenantsLoaded === r.tenants &&
    r.proxy.large.invalidTenants === 0
  );
}

/** The goals for the broker path. */
export function brokerTargets(r: BrokerDocumentReport): TargetCheck[] {
  if (r.skipped) return [];
  return [
    targetCheck(`proxy KB per tenant, document from the broker (${fmt(r.tenants)} tenants)`, r.proxy.kbPerTenant, '<=', 20),
    targetCheck(`broker document builds during ${fmt(r.longPolls.requests)} unchanged long-polls`, r.longPolls.documentsBuilt, '<=', 0),
  ];
}

const mib = (kb: number): string => fmt(kb / 1024, 1);

export function formatBrokerReport(r: BrokerDocumentReport): string {
  if (r.skipped) return `config broker document: skipped (${r.reason})`;
  const out: string[] = [];
  const c = r.seed.counts;
  out.push(
    `config broker document: ${fmt(r.tenants)} tenants seeded through the repository in ${fmt(r.seed.ms / 1000, 1)} s ` +
      `(${fmt(c.writes)} writes, one transaction each, store on ${r.seed.storage}, ${fmt(r.seed.dbBytes / 1048576, 1)} MiB; not part of the goal): ` +
      `${fmt(c.kmsConfigs)} KMS configs (${fmt(c.awsConfigs)} AWS), ${fmt(c.secrets)} tenant secrets, ${fmt(c.loggingConfigs)} logging configs`,
  );
  const fetchRow = (name: string, f: DocumentFetch): string[] => [name, String(f.status), fmt(f.ms / 1000, 2), fmt(f.brokerCpuMs / 1000, 2), fmt(f.bytes / 1048576, 1)];
  out.push(
    table(
      ['request', 'status', 'seconds', 'broker CPU s', 'MiB on the wire'],
      [fetchRow('first document (build, seal, sign)', r.first), fetchRow('second document, same sequence', r.second)],
      1,
    ),
  );
  const n = r.notModified;
  out.push(`unchanged fetch (If-None-Match): ${n.all304 ? '304' : 'NOT ALWAYS 304'}, median ${fmt(n.medianMs, 2)} ms, slowest ${fmt(n.maxMs, 2)} ms of ${n.requests}; broker CPU ${fmt(n.brokerCpuMsEach, 2)} ms each`);
  const l = r.longPolls;
  const perBuild = r.first.brokerCpuMs > 0 ? l.brokerCpuMs / r.first.brokerCpuMs : Number.NaN;
  out.push(
    `${fmt(l.requests)} unchanged long-polls (wait=${l.waitSeconds}) held together for ${fmt(l.wallMs / 1000, 2)} s: ${l.allHeld ? 'all 304 after the wait' : 'NOT ALL HELD'}` +
      ` (shortest ${fmt(l.shortestMs / 1000, 2)} s); broker CPU ${fmt(l.brokerCpuMs, 0)} ms in all (idle over as long: ${fmt(l.idleCpuMs, 0)} ms; ` +
      `${fmt(l.brokerCpuMs / l.requests, 2)} ms each, ` +
      `${fmt(perBuild * 100, 2)}% of one document build); documents built meanwhile: ${fmt(l.documentsBuilt)}`,
  );
  const b = r.broker;
  out.push(
    `broker RSS MiB: ${mib(b.rssEmptyKb)} empty, ${mib(b.rssSeededKb)} seeded, ${mib(b.rssAfterFirstKb)} after the first document, ` +
      `${mib(b.rssEndKb)} at the end, peak ${mib(b.peakRssKb)}; started in ${fmt(b.startMs / 1000, 2)} s`,
  );
  const p = r.proxy;
  const row = (name: string, m: ProxyMemory): string[] => [
    name,
    fmt(m.tenantsLoaded),
    fmt(m.invalidTenants),
    fmt(m.readyMs / 1000, 2),
    mib(m.rssKb),
    mib(m.peakRssKb),
    m.heapUsedBytes === undefined ? '-' : fmt(m.heapUsedBytes / 1048576, 1),
    m.probeOk ? `200 (${m.probeTenant})` : `FAILED (${m.probeTenant})`,
  ];
  out.push(
    table(
      ['proxy fed by the broker', 'tenants', 'invalid', 'ready s', 'RSS MiB', 'peak MiB', 'heap MiB', 'wrap probe'],
      [row('one-tenant account', p.baseline), row(`${fmt(r.tenants)}-tenant account`, p.large)],
      1,
    ),
  );
  out.push(
    `(ready s: spawn to /ready = fetch + verify + open + apply; broker CPU meanwhile ${fmt(p.brokerCpuMsDuringStart / 1000, 2)} s) ` +
      `(RSS_large - RSS_one) / tenants = ${fmt(p.kbPerTenant, 2)} KB per tenant` +
      (p.heapBytesPerTenant === undefined ? '' : `; heap used: ${fmt(p.heapBytesPerTenant / 1024, 2)} KB per tenant`),
  );
  return out.join('\n');
}
