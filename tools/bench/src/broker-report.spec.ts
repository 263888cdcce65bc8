import { BrokerDocumentFigures, brokerRunValid, brokerTargets, formatBrokerReport, median } from './broker-report';
import { tenantPlan } from './broker-seed';
import type { ProxyMemory } from './memory';
import { readOptions } from './options';

function proxy(tenants: number, rssMiB: number, heapMiB: number, probeOk = true): ProxyMemory {
  return {
    tenantsLoaded: tenants, invalidTenants: 0, readyMs: 1500, rssKb: rssMiB * 1024, peakRssKb: rssMiB * 1024 + 100,
    heapUsedBytes: heapMiB * 1048576, probeTenant: 't', probeOk,
  };
}

function figures(over: Partial<BrokerDocumentFigures> = {}): BrokerDocumentFigures {
  return {
    skipped: false,
    tenants: 100_000,
    seed: { counts: { tenants: 100_000, kmsConfigs: 150_000, awsConfigs: 0, secrets: 50_000, loggingConfigs: 25_000, writes: 325_000 }, ms: 60_000, outboxAcked: 325_000, storage: 'tmpfs /dev/shm', dbBytes: 150 * 1048576 },
    broker: { startMs: 900, rssEmptyKb: 90 * 1024, rssSeededKb: 95 * 1024, rssAfterFirstKb: 400 * 1024, rssEndKb: 380 * 1024, peakRssKb: 900 * 1024 },
    first: { status: 200, ms: 12_000, brokerCpuMs: 11_000, bytes: 100 * 1048576 },
    second: { status: 200, ms: 400, brokerCpuMs: 150, bytes: 100 * 1048576 },
    notModified: { requests: 20, medianMs: 2, maxMs: 5, brokerCpuMsEach: 0.5, all304: true },
    longPolls: { requests: 50, waitSeconds: 3, allHeld: true, shortestMs: 3010, wallMs: 3100, brokerCpuMs: 40, idleCpuMs: 5, documentsBuilt: 0 },
    proxy: { baseline: proxy(1, 120, 35), large: proxy(100_000, 1100, 600), brokerCpuMsDuringStart: 300, kbPerTenant: (980 * 1024) / 100_000, heapBytesPerTenant: 5000 },
    ...over,
  };
}

describe('broker document report', () => {
  it('checks the issue goals: KB per tenant <= 20 and no document built during the long-polls', () => {
    const [kb, scans] = brokerTargets(figures());
    expect(kb).toMatchObject({ comparison: '<=', target: 20, pass: true });
    expect(kb?.value).toBeCloseTo(10.04, 2);
    expect(scans).toMatchObject({ value: 0, pass: true });
    const bad = brokerTargets(figures({ longPolls: { ...figures().longPolls, documentsBuilt: 1 }, proxy: { ...figures().proxy, kbPerTenant: 21 } }));
    expect(bad.map((t) => t.pass)).toEqual([false, false]);
    expect(brokerTargets({ skipped: true, reason: 'BENCH_SKIP_BROKER=1' })).toEqual([]);
  });

  it('is valid only when the probes, the tenant count, the 304s and the held long-polls all check out', () => {
    expect(brokerRunValid(figures())).toBe(true);
    expect(brokerRunValid({ skipped: true, reason: 'x' })).toBe(true);
    expect(brokerRunValid(figures({ proxy: { ...figures().proxy, large: proxy(99_999, 1100, 600) } }))).toBe(false);
    expect(brokerRunValid(figures({ proxy: { ...figures().proxy, baseline: proxy(1, 120, 35, false) } }))).toBe(false);
    expect(brokerRunValid(figures({ notModified: { ...figures().notModified, all304: false } }))).toBe(false);
    expect(brokerRunValid(figures({ longPolls: { ...figures().longPolls, allHeld: false } }))).toBe(false);
  });

  it('prints the build, the wire size, the 304, the long-poll CPU against one build and the proxy per-tenant memory', () => {
    const text = formatBrokerReport(figures());
    expect(text).toContain('100,000 tenants seeded through the repository in 60.0 s');
    expect(text).toMatch(/first document \(build, seal, sign\)\s+200\s+12\.00\s+11\.00\s+100\.0/);
    expect(text).toMatch(/second document, same sequence\s+200\s+0\.40\s+0\.15/);
    expect(text).toContain('unchanged fetch (If-None-Match): 304, median 2.00 ms');
    expect(text).toContain('broker CPU 40 ms in all (idle over as long: 5 ms; 0.80 ms each, 0.36% of one document build); documents built meanwhile: 0');
    expect(text).toContain('= 10.04 KB per tenant');
    expect(formatBrokerReport({ skipped: true, reason: 'BENCH_SKIP_BROKER=1' })).toBe('config broker document: skipped (BENCH_SKIP_BROKER=1)');
  });

  it('median of odd and even lists', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('seeded tenant plan', () => {
  it('gives every tenant a primary local config, half a second config, half a secret, a quarter a logging config', () => {
    const plans = Array.from({ length: 1000 }, (_, i) => tenantPlan(`t${i + 1}`, i + 1, 10));
    expect(plans.every((p) => p.kmsConfigs[0]?.type === 'local' && p.kmsConfigs[0].primary)).toBe(true);
    expect(plans.filter((p) => p.kmsConfigs.length === 2)).toHaveLength(500);
    expect(plans.filter((p) => p.kmsConfigs.some((c) => c.type === 'aws'))).toHaveLength(100);
    expect(plans.every((p) => p.kmsConfigs.filter((c) => c.primary).length === 1)).toBe(true);
    expect(plans.filter((p) => p.secret)).toHaveLength(500);
    expect(plans.filter((p) => p.logging)).toHaveLength(250);
    expect(tenantPlan('t', 2, 0).kmsConfigs.map((c) => c.type)).toEqual(['local', 'local']);
  });
});

describe('broker bench options', () => {
  it('defaults to 100,000 tenants and 50 long-polls, and refuses nonsense', () => {
    const o = readOptions({});
    expect(o).toMatchObject({ skipBroker: false, brokerTenants: 100_000, brokerLongPolls: 50, brokerAwsEvery: 0 });
    expect(readOptions({ BENCH_SKIP_BROKER: '1' }).skipBroker).toBe(true);
    expect(() => readOptions({ BENCH_BROKER_TENANTS: '0' })).toThrow(/BENCH_BROKER_TENANTS must be an integer from 1/);
    expect(() => readOptions({ BENCH_BROKER_LONG_POLLS: 'many' })).toThrow(/BENCH_BROKER_LONG_POLLS/);
  });
});
