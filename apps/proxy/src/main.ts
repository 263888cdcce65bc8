import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CGROUP_CPU_FILES, environmentWithServiceAccountFile, isolateCloudSdkEnvironment, runService, usableCpus } from '@tsp/app-support';
import { createLogger, Logger } from '@tsp/observability';
import { buildClusterHealthServer } from './cluster-health';
import { parseProxyConfig, ProxyConfig } from './proxy-config';
import { createProxyRuntime } from './proxy-runtime';
import { runProxyWorker } from './proxy-worker';
import { resolveWorkerCount, supervisorDeadlineMs, WorkerCluster } from './worker-cluster';

/**
 * The only place that reads configuration: TSP_SERVICE_ACCOUNT_FILE (optional env file), then
 * the environment, which wins; and, for TSP_WORKERS=0, the cgroup CPU quota files. Exits
 * non-zero with a clear message when anything is wrong. A cluster worker reads nothing: its
 * config comes from the primary over IPC (proxy-worker.ts).
 */
async function main(): Promise<void> {
  if (cluster.isWorker) {
    runProxyWorker();
    return;
  }
  const ignoredAwsEndpoints = isolateCloudSdkEnvironment(process.env);
  const config = parseProxyConfig(environmentWithServiceAccountFile(process.env));
  const logger = createLogger({ level: config.logLevel, service: 'tsp-proxy' });
  if (ignoredAwsEndpoints.length > 0) logger.warn('AWS endpoint variables ignored: endpoints come from tenant configs', { variables: ignoredAwsEndpoints });
  const workers = resolveWorkerCount(config.workers, () => usableCpus({ parallelism: availableParallelism(), ...readCgroupCpuFiles() }));
  if (workers === 1) await runSingleProcess(config, logger);
  else await runCluster(config, logger, workers);
}

/** TSP_WORKERS=1 (or one usable CPU): the proxy in this process, as it always was. */
async function runSingleProcess(config: ProxyConfig, logger: Logger): Promise<void> {
  const runtime = createProxyRuntime(config, logger);
  await runService({
    name: 'proxy',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    shutdown: () => runtime.shutdown(),
    async start() {
      const { apiPort, healthPort } = await runtime.start();
      return { host: config.host, apiPort, healthPort, serviceConfigId: config.serviceConfigId };
    },
  });
}

/**
 * Several API workers sharing the port; this process supervises them and serves health. It is
 * kept minimal (no API traffic, no KMS or broker calls): if it crashes, node's cluster module
 * ends every worker at once (their IPC channel closes), cutting the requests in flight.
 */
async function runCluster(config: ProxyConfig, logger: Logger, workers: number): Promise<void> {
  // The workers get this environment less the settings (worker-env.ts): their config comes over IPC.
  const supervisor = new WorkerCluster({ config, logger, workers, env: process.env });
  const health = buildClusterHealthServer(supervisor);
  // However this process ends, no worker outlives it.
  process.on('exit', () => supervisor.killAll());
  await runService({
    name: 'proxy',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    async shutdown() {
      try {
        // A little before runService's own deadline (which exits at once), so that on a timeout
        // the supervisor kills the workers and the health server closes, reported as such.
        await supervisor.shutdown(supervisorDeadlineMs(config.shutdownTimeoutMs));
      } finally {
        await health.close();
      }
    },
    async start() {
      await health.listen({ host: config.host, port: config.healthPort });
      await supervisor.start();
      const address = health.server.address();
      const healthPort = typeof address === 'object' && address !== null ? address.port : 0;
      const pids = supervisor.snapshot().map((s) => s.pid);
      return { host: config.host, apiPort: supervisor.apiPort, healthPort, serviceConfigId: config.serviceConfigId, workers, pids };
    },
  });
}

/** The cgroup CPU quota files that exist (a missing or unreadable file sets no limit). */
function readCgroupCpuFiles(): { cgroupV2CpuMax?: string; cgroupV1Quota?: string; cgroupV1Period?: string } {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  const out: { cgroupV2CpuMax?: string; cgroupV1Quota?: string; cgroupV1Period?: string } = {};
  const v2 = read(CGROUP_CPU_FILES.v2CpuMax);
  const quota = read(CGROUP_CPU_FILES.v1Quota);
  const period = read(CGROUP_CPU_FILES.v1Period);
  if (v2 !== undefined) out.cgroupV2CpuMax = v2;
  if (quota !== undefined) out.cgroupV1Quota = quota;
  if (period !== undefined) out.cgroupV1Period = period;
  return out;
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-proxy: ${(e as Error).message}\n`);
  process.exit(1);
});
