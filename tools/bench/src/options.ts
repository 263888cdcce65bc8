import path from 'node:path';

/** Where things are, from the bundle's location (dist/tools/bench/main.js). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const PROXY_MAIN = path.join(ROOT, 'dist', 'apps', 'proxy', 'main.js');
export const LOGDRIVER_MAIN = path.join(ROOT, 'dist', 'apps', 'logdriver', 'main.js');
export const BROKER_MAIN = path.join(ROOT, 'dist', 'apps', 'config-broker', 'main.js');
export const BASELINE_SCRIPT = path.join(ROOT, 'tools', 'bench', 'baseline-server.cjs');
export const AUTOCANNON_CLI = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');

/** Every knob of one bench run; read from the environment once, in main.ts. */
export interface BenchOptions {
  /** Measured seconds per scenario (BENCH_DURATION). */
  durationSeconds: number;
  /** Warm-up seconds before each measured run, discarded (BENCH_WARMUP). */
  warmupSeconds: number;
  /** Open connections of the load generator (BENCH_CONNECTIONS). */
  connections: number;
  /** wrk threads (BENCH_THREADS). */
  threads: number;
  /** Tenants in the large config document of the memory test (BENCH_TENANTS). */
  tenants: number;
  /** BENCH_SKIP_MEMORY=1 skips the memory test. */
  skipMemory: boolean;
  /** Seconds the proxy with the large document may take to become ready (BENCH_READY_TIMEOUT). */
  readyTimeoutSeconds: number;
  /** Seconds an idle proxy runs after /ready before its RSS is read (BENCH_SETTLE). */
  settleSeconds: number;
  /**
   * Servers on CPU 0, the load generator on CPU 1 (taskset), so the load generator does not
   * starve the server it measures: steadier numbers (the server's GC and thread-pool threads
   * share its core). On by default where possible (2+ CPUs and taskset); BENCH_PIN=0 turns it
   * off, BENCH_PIN=1 demands it.
   */
  pinCpus: boolean | 'auto';
  /** BENCH_LOAD_GENERATOR=autocannon forces the fallback even when wrk exists. */
  forceAutocannon: boolean;
  /** BENCH_SKIP_LOGDRIVER_THROUGHPUT=1 skips the logdriver's own accept/deliver runs. */
  skipLogdriverThroughput: boolean;
  /** Events per logdriver throughput run (BENCH_LOGDRIVER_EVENTS, a multiple of 1000). */
  logdriverEvents: number;
  /** BENCH_SKIP_CLOUD=1 skips the cloud KMS scenarios (loopback fakes of AWS, GCP, Azure). */
  skipCloud: boolean;
  /** Latency each cloud fake adds to every KMS request, ms (BENCH_CLOUD_LATENCY_MS). */
  cloudLatencyMs: number;
  /** Connections of the unleased cloud wrap runs (BENCH_CLOUD_CONNECTIONS). */
  cloudConnections: number;
  /** BENCH_SKIP_BROKER=1 skips the config broker document run (broker-document.ts). */
  skipBroker: boolean;
  /** Tenants seeded into the broker's store for the document run (BENCH_BROKER_TENANTS). */
  brokerTenants: number;
  /** Unchanged long-polls held open at once to show they cost no scan (BENCH_BROKER_LONG_POLLS). */
  brokerLongPolls: number;
  /** Every k-th seeded tenant's second KMS config is an AWS one, 0: none (BENCH_BROKER_AWS_EVERY). */
  brokerAwsEvery: number;
  /** BENCH_SKIP_WORKERS=1 skips the TSP_WORKERS=1 vs 2 runs and their control (workers-scenario.ts). */
  skipWorkers: boolean;
  /** JSON output file (BENCH_OUTPUT). */
  outputFile: string;
}

function intVar(vars: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number, problems: string[]): number {
  const raw = vars[name];
  if (raw === undefined || raw.trim() === '') return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}`);
    return def;
  }
  return n;
}

function flagVar(vars: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (vars[name] ?? '').trim().toLowerCase();
  return raw === '1' || raw === 'true' || raw === 'yes';
}

/** Validates the BENCH_* variables; throws one Error naming every bad one. */
export function readOptions(vars: NodeJS.ProcessEnv): BenchOptions {
  const problems: string[] = [];
  const generator = (vars['BENCH_LOAD_GENERATOR'] ?? '').trim();
  if (generator !== '' && generator !== 'wrk' && generator !== 'autocannon') {
    problems.push("BENCH_LOAD_GENERATOR must be 'wrk' or 'autocannon'");
  }
  const opts: BenchOptions = {
    durationSeconds: intVar(vars, 'BENCH_DURATION', 10, 1, 3600, problems),
    warmupSeconds: intVar(vars, 'BENCH_WARMUP', 2, 0, 600, problems),
    connections: intVar(vars, 'BENCH_CONNECTIONS', 50, 1, 10000, problems),
    threads: intVar(vars, 'BENCH_THREADS', 2, 1, 64, problems),
    tenants: intVar(vars, 'BENCH_TENANTS', 100_000, 1, 10_000_000, problems),
    skipMemory: flagVar(vars, 'BENCH_SKIP_MEMORY'),
    readyTimeoutSeconds: intVar(vars, 'BENCH_READY_TIMEOUT', 240, 5, 3600, problems),
    settleSeconds: intVar(vars, 'BENCH_SETTLE', 5, 0, 600, problems),
    pinCpus: vars['BENCH_PIN'] === undefined || vars['BENCH_PIN'] === '' ? 'auto' : flagVar(vars, 'BENCH_PIN'),
    forceAutocannon: generator === 'autocannon',
    skipCloud: flagVar(vars, 'BENCH_SKIP_CLOUD'),
    skipLogdriverThroughput: flagVar(vars, 'BENCH_SKIP_LOGDRIVER_THROUGHPUT'),
    logdriverEvents: intVar(vars, 'BENCH_LOGDRIVER_EVENTS', 100_000, 1000, 10_000_000, problems),
    cloudLatencyMs: intVar(vars, 'BENCH_CLOUD_LATENCY_MS', 20, 1, 10_000, problems),
    cloudConnections: intVar(vars, 'BENCH_CLOUD_CONNECTIONS', 200, 1, 10000, problems),
    skipBroker: flagVar(vars, 'BENCH_SKIP_BROKER'),
    skipWorkers: flagVar(vars, 'BENCH_SKIP_WORKERS'),
    brokerTenants: intVar(vars, 'BENCH_BROKER_TENANTS', 100_000, 1, 1_000_000, problems),
    brokerLongPolls: intVar(vars, 'BENCH_BROKER_LONG_POLLS', 50, 1, 5000, problems),
    brokerAwsEvery: intVar(vars, 'BENCH_BROKER_AWS_EVERY', 0, 0, 1_000_000, problems),
    outputFile: path.resolve(ROOT, vars['BENCH_OUTPUT'] ?? path.join('var', 'bench', 'latest.json')),
  };
  if (opts.threads > opts.connections) problems.push('BENCH_THREADS must not exceed BENCH_CONNECTIONS');
  if (!opts.skipCloud && opts.threads > opts.cloudConnections) problems.push('BENCH_THREADS must not exceed BENCH_CLOUD_CONNECTIONS');
  if (problems.length > 0) throw new Error(`Invalid benchmark settings:\n  - ${problems.join('\n  - ')}`);
  return opts;
}
