import path from 'node:path';
import { freePort } from '@tsp/test-support';
import type { DevEnvironment } from '@tsp/dev-environment';
import { onCpu, ProcessRegistry } from './child-processes';
import { metricSum, waitForReady } from './logdriver-probe';
import type { LoadGenerator } from './load-generator';
import { BenchOptions, LOGDRIVER_MAIN } from './options';
import { startProxy } from './proxy-launcher';
import { RawResult, runScenario } from './run-scenario';
import type { Scenario } from './scenarios';

export interface LogdriverRun {
  raw: RawResult;
  /** Events the logdriver delivered to the file sink per second over the measured run. */
  deliveredPerSecond: number;
  /** Events still waiting in its spool right after the run. */
  pendingAfter: number;
}

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
}

/**
 * Leased wrap with every event going to the logdriver (file sink), the pair as deployed: the
 * logdriver on the same CPU as the proxy. Also reads how many events the logdriver delivered
 * per second meanwhile, from its own counters.
 */
export async function measureWithLogdriver(
  reg: ProcessRegistry,
  gen: LoadGenerator,
  opts: BenchOptions,
  env: DevEnvironment,
  work: string,
  scenario: Scenario,
  headers: Readonly<Record<string, string>>,
  cpu: number | undefined,
  note: (s: string) => void,
  placement: { logdriverCpu?: number | undefined; proxyEnv?: Record<string, string> } = {},
): Promise<LogdriverRun> {
  const ldCpu = 'logdriverCpu' in placement ? placement.logdriverCpu : cpu;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  note(`starting the logdriver (file sink${ldCpu === undefined ? '' : `, CPU ${ldCpu}`}) and a proxy sending it events`);
  const ld = reg.spawn('logdriver', ...onCpu(ldCpu, process.execPath, [LOGDRIVER_MAIN]), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      TSP_LOGDRIVER_HOST: '127.0.0.1',
      TSP_LOGDRIVER_PORT: String(port),
      TSP_LOGDRIVER_SPOOL_DIR: path.join(work, `logdriver-spool-${scenario.id}`),
      TSP_LOGDRIVER_EVENTS_DIR: path.join(work, `logdriver-events-${scenario.id}`),
      TSP_LOGDRIVER_DEFAULT_SINK: 'file',
      TSP_LOGDRIVER_RATE_LIMIT: '10000000',
      TSP_LOGDRIVER_RATE_BURST: '10000000',
    },
  });
  try {
    await waitForReady(`${url}/ready`, ld, 'logdriver');
    const proxy = await startProxy(reg, { name: 'proxy with logdriver', serviceAccountFile: env.serviceAccountFile, env: { LOGDRIVER_URL: url, ...placement.proxyEnv }, readyTimeoutMs: 30_000, cpu });
    try {
      let before = 0;
      let startedAt = 0;
      const raw = await runScenario(gen, opts, scenario, proxy.url, proxy.proc, headers, note, {
        hooks: {
          begin: () => {
            startedAt = Date.now();
            void metrics(url).then((t) => (before = metricSum(t, 'tsp_logdriver_events_delivered_total')));
          },
          end: () => undefined,
        },
      });
      const after = await metrics(url);
      const deliveredPerSecond = (metricSum(after, 'tsp_logdriver_events_delivered_total') - before) / ((Date.now() - startedAt) / 1000);
      return { raw, deliveredPerSecond, pendingAfter: metricSum(after, 'tsp_logdriver_spool_pending_events') };
    } finally {
      await reg.stop(proxy.proc);
    }
  } finally {
    await reg.stop(ld);
  }
}
