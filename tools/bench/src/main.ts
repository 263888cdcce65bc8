import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { ensureDevEnvironment, DevEnvironment } from '@tsp/dev-environment';
import { startBaselineServer } from './baseline-server';
import { ProcessRegistry, TrackedChild } from './child-processes';
import { chooseLoadGenerator, LoadGenerator, onPath } from './load-generator';
import { benchTenantId, generateLargeDocument, measureProxyMemory } from './memory';
import { BASELINE_SCRIPT, BenchOptions, LOGDRIVER_MAIN, PROXY_MAIN, readOptions } from './options';
import { startProxy, RunningProxy } from './proxy-launcher';
import { BenchReport, formatReport, MemoryReport, ScenarioResult, targetCheck, TargetCheck, writeJsonReport } from './report';
import { buildCloudReport, CloudReport, cloudTargets } from './cloud-report';
import { CloudRunContext, CloudRunOutput, runCloudScenarios } from './cloud-scenarios';
import { RawResult, runScenario as runScenarioWith } from './run-scenario';
import { measureWithLogdriver } from './logdriver-scenario';
import { measureLogdriverThroughput, ThroughputRun } from './logdriver-throughput';
import { measureBrokerDocument } from './broker-document';
import { brokerRunValid, brokerTargets } from './broker-report';
import { apiHeaders, baselineScenario, LEASED_TENANT, proxyScenarios, Scenario, wrapOnce } from './scenarios';
import { measureWorkers, workersTargets } from './workers-scenario';

/**
 * The benchmark: bare node:http baseline vs the built proxy, driven by the same load generator
 * (wrk, else autocannon) in one run, as ratios to the baseline measured in that run; then the
 * proxy with the three cloud KMS fakes (unless BENCH_SKIP_CLOUD=1); then the proxy's memory with a
 * large tenant count. Prints a table and writes var/bench/latest.json.
 * Exit code: 0 when every measurement is valid (targets may still be missed: see the table),
 * 1 when a row is flagged (non-2xx, socket errors, failed check) or the run failed.
 * Settings: BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_TENANTS,
 * BENCH_SKIP_MEMORY, BENCH_READY_TIMEOUT, BENCH_SETTLE, BENCH_PIN, BENCH_LOAD_GENERATOR, BENCH_OUTPUT,
 * BENCH_SKIP_CLOUD, BENCH_CLOUD_LATENCY_MS, BENCH_CLOUD_CONNECTIONS (cloud KMS fakes: cloud-scenarios.ts),
 * BENCH_SKIP_LOGDRIVER_THROUGHPUT, BENCH_LOGDRIVER_EVENTS (logdriver-throughput.ts),
 * BENCH_SKIP_BROKER, BENCH_BROKER_TENANTS, BENCH_BROKER_LONG_POLLS, BENCH_BROKER_AWS_EVERY (the config
 * broker serving an N-tenant document to a proxy: broker-document.ts), BENCH_SKIP_WORKERS (the proxy
 * with TSP_WORKERS=1 and 2, and two independent TSP_WORKERS=1 proxies, nothing pinned: workers-scenario.ts).
 */
const note = (s: string): void => {
  process.stderr.write(`bench: ${s}\n`);
};

const reg = new ProcessRegistry();

const runScenario = (
  gen: LoadGenerator,
  opts: BenchOptions,
  s: Scenario,
  baseUrl: string,
  server: TrackedChild,
  headers: Readonly<Record<string, string>>,
): Promise<RawResult> => runScenarioWith(gen, opts, s, baseUrl, server, headers, note);

async function measureCloud(ctx: CloudRunContext, raw: RawResult[]): Promise<CloudRunOutput | { skipped: true; reason: string }> {
  if (ctx.opts.skipCloud) return { skipped: true, reason: 'BENCH_SKIP_CLOUD=1' };
  const out = await runCloudScenarios(ctx);
  raw.push(...out.raw);
  return out;
}

async function withProxy<T>(
  name: string,
  env: DevEnvironment,
  events: 'stdout' | 'none',
  cpu: number | undefined,
  fn: (p: RunningProxy) => Promise<T>,
): Promise<T> {
  note(`starting ${name} (TSP_EVENT_OUTPUT=${events}, stdout discarded)`);
  const p = await startProxy(reg, { name, serviceAccountFile: env.serviceAccountFile, env: { TSP_EVENT_OUTPUT: events }, readyTimeoutMs: 30_000, cpu });
  try {
    return await fn(p);
  } finally {
    await reg.stop(p.proc);
  }
}

async function measureMemory(opts: BenchOptions, env: DevEnvironment, work: string): Promise<MemoryReport> {
  if (opts.skipMemory) return { skipped: true, reason: 'BENCH_SKIP_MEMORY=1' };
  note('memory: proxy with the demo document');
  const settle = { readyTimeoutMs: opts.readyTimeoutSeconds * 1000, settleSeconds: opts.settleSeconds };
  const demo = await measureProxyMemory(reg, 'proxy (demo document)', env, { ...settle, probeTenant: LEASED_TENANT });
  note(`memory: generating a ${opts.tenants}-tenant config document`);
  const doc = await generateLargeDocument(env, opts.tenants, path.join(work, `config-document-${opts.tenants}.json`));
  note(`memory: ${(doc.bytes / 1048576).toFixed(1)} MiB in ${(doc.generateMs / 1000).toFixed(1)} s; starting a proxy on it`);
  const large = await measureProxyMemory(reg, `proxy (${opts.tenants} tenants)`, env, {
    ...settle,
    configFile: doc.file,
    probeTenant: benchTenantId(opts.tenants),
  });
  const heapDelta = large.heapUsedBytes !== undefined && demo.heapUsedBytes !== undefined ? large.heapUsedBytes - demo.heapUsedBytes : undefined;
  return {
    skipped: false,
    tenants: opts.tenants,
    document: { tenants: doc.tenants, bytes: doc.bytes, generateMs: doc.generateMs },
    demo,
    large,
    settleSeconds: opts.settleSeconds,
    kbPerTenant: (large.rssKb - demo.rssKb) / opts.tenants,
    heapBytesPerTenant: heapDelta === undefined ? undefined : heapDelta / opts.tenants,
  };
}

async function run(opts: BenchOptions): Promise<boolean> {
  for (const f of [PROXY_MAIN, BASELINE_SCRIPT, LOGDRIVER_MAIN]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: build first (node tools/build/build.mjs)`);
  }
  const work = reg.tempDir('tsp-bench-');
  const { env } = await ensureDevEnvironment(path.join(work, 'dev'));
  const canPin = cpus().length >= 2 && onPath('taskset');
  if (opts.pinCpus === true && !canPin) throw new Error('BENCH_PIN=1 needs 2 or more CPUs and taskset (util-linux)');
  const pin = opts.pinCpus === true || (opts.pinCpus === 'auto' && canPin);
  // Pinned: servers on CPU 0, the load generator on CPU 1.
  const serverCpu = pin ? 0 : undefined;
  const gen = chooseLoadGenerator(reg, work, { forceAutocannon: opts.forceAutocannon, cpu: pin ? 1 : undefined }, note);
  note(`load generator: ${gen.name} ${gen.version}${pin ? ' (servers pinned to CPU 0, load generator to CPU 1)' : ''}`);
  const headers = apiHeaders(env.apiKey);

  const baseline = await startBaselineServer(reg, serverCpu);
  const raw: RawResult[] = [];
  raw.push(await runScenario(gen, opts, baselineScenario('baseline', '(a) baseline node:http'), baseline.url, baseline.proc, headers));

  const scenarios = await withProxy('proxy', env, 'stdout', serverCpu, async (p) => {
    const all = proxyScenarios(await wrapOnce(p.url, env.apiKey, LEASED_TENANT));
    for (const s of all.filter((x) => x.target === 'proxy')) raw.push(await runScenario(gen, opts, s, p.url, p.proc, headers));
    return all;
  });
  await withProxy('proxy without events', env, 'none', serverCpu, async (p) => {
    for (const s of scenarios.filter((x) => x.target === 'proxy-no-events')) raw.push(await runScenario(gen, opts, s, p.url, p.proc, headers));
  });
  const deliveredDuring: Record<string, number> = {};
  for (const [target, placement] of [
    ['proxy-logdriver', {}],
    ['proxy-logdriver-apart', { logdriverCpu: pin ? 1 : undefined }],
    ['proxy-logdriver-strict', { proxyEnv: { TSP_AUDIT_MODE: 'strict' } }],
  ] as const) {
    const s = scenarios.find((x) => x.target === target);
    if (s === undefined) continue;
    const run = await measureWithLogdriver(reg, gen, opts, env, work, s, headers, serverCpu, note, placement);
    raw.push(run.raw);
    deliveredDuring[s.id] = run.deliveredPerSecond;
    note(`logdriver: delivered ${Math.round(run.deliveredPerSecond)} events/s to the file sink during ${s.label}; ${run.pendingAfter} pending right after`);
  }
  const throughput: ThroughputRun[] = opts.skipLogdriverThroughput ? [] : await measureLogdriverThroughput(reg, env, work, serverCpu, pin ? 1 : undefined, opts.logdriverEvents, note);
  const cloud = await measureCloud({ reg, gen, opts, env, work, headers, serverCpu, loadCpu: pin ? 1 : undefined, note }, raw);
  const workers = await measureWorkers({ reg, opts, env, work, cpus: cpus().length, headers, note });
  raw.push(...workers.raw);
  // The baseline again, last: the two runs bracket the proxy's and show the machine's drift.
  raw.push(await runScenario(gen, opts, baselineScenario('baseline-repeat', "(a') baseline node:http, repeated"), baseline.url, baseline.proc, headers));
  await reg.stop(baseline.proc);

  const baselines = raw.filter((r) => r.target === 'baseline');
  const baselineRps = baselines.reduce((a, r) => a + r.requestsPerSecond, 0) / baselines.length;
  const baselineDrift =
    baselines.length === 2 ? Math.abs((baselines[0]?.requestsPerSecond ?? 0) - (baselines[1]?.requestsPerSecond ?? 0)) / baselineRps : 0;
  const results: ScenarioResult[] = raw.map((r) => ({ ...r, ratioVsBaseline: r.requestsPerSecond / baselineRps }));
  const byId = (id: string): ScenarioResult | undefined => results.find((r) => r.id === id);

  const memory = await measureMemory(opts, env, work);
  const broker = await measureBrokerDocument(reg, opts, work, note);
  const cloudReport: CloudReport =
    'skipped' in cloud
      ? cloud
      : buildCloudReport(results, cloud.samples, { injectedLatencyMs: opts.cloudLatencyMs, connections: opts.cloudConnections, proxyWarnings: cloud.proxyWarnings });

  const targets: TargetCheck[] = [];
  const wrap = byId('leased-wrap');
  const unwrap = byId('leased-unwrap');
  const batch = byId('batch-wrap');
  const noEvents = byId('leased-wrap-no-events');
  const withLogdriver = byId('leased-wrap-logdriver');
  if (wrap !== undefined) targets.push(targetCheck('leased wrap / baseline (req/s)', wrap.ratioVsBaseline, '>=', 0.6));
  if (unwrap !== undefined) targets.push(targetCheck('leased unwrap / baseline (req/s)', unwrap.ratioVsBaseline, '>=', 0.6));
  if (batch !== undefined && wrap !== undefined) {
    targets.push(targetCheck(`batch-wrap docs/s / leased wrap docs/s`, batch.documentsPerSecond / wrap.documentsPerSecond, '>=', 20));
  }
  if (withLogdriver !== undefined && noEvents !== undefined) {
    targets.push(targetCheck('leased wrap, events to the logdriver / no events', withLogdriver.requestsPerSecond / noEvents.requestsPerSecond, '>=', 0.9));
  }
  const apart = byId('leased-wrap-logdriver-apart');
  if (apart !== undefined && noEvents !== undefined) {
    targets.push(targetCheck('  the same, logdriver on the other core', apart.requestsPerSecond / noEvents.requestsPerSecond, '>=', 0.9));
  }
  for (const t of throughput) {
    targets.push(targetCheck(`logdriver accepts events/s (${t.sink} run)`, t.acceptedPerSecond, '>=', 20_000));
    targets.push(targetCheck(`logdriver delivers events/s to ${t.sink}`, t.deliveredPerSecond, '>=', 20_000));
  }
  targets.push(...cloudTargets(cloudReport));
  targets.push(...workersTargets(workers.report));
  if (!memory.skipped) targets.push(targetCheck(`memory KB per tenant (${memory.tenants} tenants)`, memory.kbPerTenant, '<=', 20));
  targets.push(...brokerTargets(broker));

  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    settings: {
      durationSeconds: opts.durationSeconds,
      warmupSeconds: opts.warmupSeconds,
      connections: opts.connections,
      threads: gen.name === 'wrk' ? opts.threads : 1,
      pinnedCpus: pin,
    },
    machine: { cpus: cpus().length, node: process.versions.node, platform: `${process.platform}-${process.arch}` },
    loadGenerator: { name: gen.name, version: gen.version },
    proxyEvents: 'TSP_EVENT_OUTPUT=stdout with the proxy stdout discarded (events serialised and written to /dev/null); row (f) with TSP_EVENT_OUTPUT=none',
    baselineRequestsPerSecond: baselineRps,
    baselineDriftFraction: baselineDrift,
    scenarios: results,
    targets,
    eventsCost:
      wrap !== undefined && noEvents !== undefined
        ? { withEvents: wrap.requestsPerSecond, withoutEvents: noEvents.requestsPerSecond, costFraction: 1 - wrap.requestsPerSecond / noEvents.requestsPerSecond }
        : undefined,
    memory,
    broker,
    cloud: cloudReport,
    workers: workers.report,
    logdriver: { deliveredPerSecondDuring: deliveredDuring, throughput, strictCost: strictCost(byId('leased-wrap-strict'), withLogdriver) },
  };
  process.stdout.write(`${formatReport(report)}\n`);
  writeJsonReport(opts.outputFile, report);
  note(`figures written to ${path.relative(process.cwd(), opts.outputFile) || opts.outputFile}`);
  return results.every((r) => r.ok) && (memory.skipped || (memory.demo.probeOk && memory.large.probeOk)) && brokerRunValid(broker);
}

/** Strict audit mode's cost: its leased-wrap rate against best effort, both with the logdriver on the same core. */
function strictCost(strict: ScenarioResult | undefined, bestEffort: ScenarioResult | undefined): BenchReport['logdriver']['strictCost'] {
  if (strict === undefined || bestEffort === undefined) return undefined;
  return {
    strict: strict.requestsPerSecond, bestEffort: bestEffort.requestsPerSecond, ratio: strict.requestsPerSecond / bestEffort.requestsPerSecond,
    p50Ms: [bestEffort.latencyP50Ms, strict.latencyP50Ms], p99Ms: [bestEffort.latencyP99Ms, strict.latencyP99Ms],
  };
}

/** The longest a whole run may take before everything is stopped. */
function budgetMs(opts: BenchOptions): number {
  const perScenario = opts.warmupSeconds + opts.durationSeconds + 45;
  const memory = opts.skipMemory ? 0 : 2 * (opts.readyTimeoutSeconds + opts.settleSeconds) + 600;
  const cloud = opts.skipCloud ? 0 : 12 * perScenario + 60;
  const logdriver = opts.skipLogdriverThroughput ? 0 : 300;
  // Seeding runs at roughly 1,000 tenants/s on tmpfs; two proxies; the rest is a minute.
  const broker = opts.skipBroker ? 0 : 2 * (opts.readyTimeoutSeconds + opts.settleSeconds) + Math.ceil(opts.brokerTenants / 250) + 300;
  const workers = opts.skipWorkers ? 0 : 3 * perScenario + 60;
  return (9 * perScenario + cloud + memory + logdriver + broker + workers + 120) * 1000;
}

let finishing = false;
async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await reg.cleanup();
  }
  process.exit(code);
}

async function main(): Promise<void> {
  let opts: BenchOptions;
  try {
    opts = readOptions(process.env);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  process.on('exit', () => reg.cleanupSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      note(`${sig}: stopping children and removing temp dirs`);
      void finish(130);
    });
  }
  const budget = budgetMs(opts);
  const watchdog = setTimeout(() => {
    note(`the run exceeded its time budget of ${Math.round(budget / 1000)} s; stopping`);
    void finish(1);
  }, budget);
  watchdog.unref();
  let ok = false;
  try {
    ok = await run(opts);
  } catch (e) {
    // After Ctrl-C or the watchdog, children die under the run: that is not a new failure.
    if (!finishing) note(`failed: ${(e as Error).stack ?? String(e)}`);
  }
  clearTimeout(watchdog);
  await finish(ok ? 0 : 1);
}

void main();
