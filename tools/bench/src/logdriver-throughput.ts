import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { TenantConfig } from '@tsp/config-crypto';
import { sealDocument, DevEnvironment } from '@tsp/dev-environment';
import { freePort } from '@tsp/test-support';
import { onCpu, ProcessRegistry, sleep } from './child-processes';
import { metricSum, waitForReady } from './logdriver-probe';
import { LOGDRIVER_MAIN, ROOT } from './options';

/** What one sink's throughput run measured. */
export interface ThroughputRun {
  sink: string;
  events: number;
  tenants: number;
  /** Events the intake acknowledged per second (all batches posted back to back). */
  acceptedPerSecond: number;
  /** Events delivered per second, from the first post until the last event was delivered. */
  deliveredPerSecond: number;
}

const TOKEN = 'bench-hec-token-0000000000000000';
const TENANTS = 10;
const BATCH = 1000;

/** Pre-built intake bodies: `events` events over TENANTS tenants, 1000 a batch. */
function bodies(events: number, runId: string): string[] {
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < events / BATCH; b++) {
    const batch = [];
    for (let i = 0; i < BATCH; i++, n++) {
      batch.push({
        eventId: `${runId}-${n}`, category: 'kms', tenantId: `bench-ld-${n % TENANTS}`, timestampMillis: 1_780_000_000_000 + n,
        iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'bench', tspRayId: `${runId}-${n}` }, customFields: {}, kms: { kmsConfigId: 201, leased: true },
      });
    }
    out.push(JSON.stringify({ events: batch }));
  }
  return out;
}

/** Posts every body over `connections` keep-alive connections; resolves when all were answered 200. */
async function post(url: string, all: readonly string[], connections: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < all.length) {
        const body = all[next++];
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
}

/**
 * The logdriver alone on `cpu`: 100,000 events of 10 tenants posted in 1000-event batches over
 * two connections, delivered to the file sink (no config document) and then to a Splunk HEC
 * fake (a config document giving each tenant a `splunk-hec` sink; the fake runs on `fakeCpu`).
 * Rate limits are lifted: this measures the logdriver, not the tenants' limits.
 */
export async function measureLogdriverThroughput(
  reg: ProcessRegistry,
  env: DevEnvironment,
  work: string,
  cpu: number | undefined,
  fakeCpu: number | undefined,
  events: number,
  note: (s: string) => void,
): Promise<ThroughputRun[]> {
  const runs: ThroughputRun[] = [];
  runs.push(await runOnce(reg, work, cpu, events, 'file', {}, note));

  const fakePort = await freePort();
  const fake = reg.spawn('splunk-hec fake', ...onCpu(fakeCpu, process.execPath, [path.join(ROOT, 'dist', 'tools', 'fakes', 'splunk-hec', 'main.js'), '--port', String(fakePort), '--token', TOKEN]), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  try {
    await waitForReady(`http://127.0.0.1:${fakePort}/services/collector/health`, fake, 'splunk-hec fake');
    const tenants: TenantConfig[] = Array.from({ length: TENANTS }, (_, i) => ({
      tenantId: `bench-ld-${i}`, kmsConfigs: [], secrets: [],
      logging: {
        sinks: [{ id: 'siem', type: 'splunk-hec', settings: { url: `http://127.0.0.1:${fakePort}` }, credentials: { token: TOKEN } }],
        rateLimit: { eventsPerSecond: 1_000_000, burst: 1_000_000 },
      },
    }));
    const documentFile = path.join(work, 'config-document-logging.json');
    sealDocument({ ...env, documentFile, tenantsFile: path.join(work, 'tenants-logging.plain.json') }, tenants, 1);
    runs.push(await runOnce(reg, work, cpu, events, 'splunk-hec', { TSP_SERVICE_ACCOUNT_FILE: env.serviceAccountFile, TSP_CONFIG_URL: pathToFileURL(documentFile).href }, note));
  } finally {
    await reg.stop(fake);
  }
  return runs;
}

async function runOnce(
  reg: ProcessRegistry,
  work: string,
  cpu: number | undefined,
  events: number,
  sink: string,
  extraEnv: Record<string, string>,
  note: (s: string) => void,
): Promise<ThroughputRun> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  note(`logdriver throughput: ${events} events of ${TENANTS} tenants to the ${sink} sink`);
  const ld = reg.spawn(`logdriver (${sink})`, ...onCpu(cpu, process.execPath, [LOGDRIVER_MAIN]), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      TSP_LOGDRIVER_PORT: String(port),
      TSP_LOGDRIVER_SPOOL_DIR: path.join(work, `throughput-spool-${sink}`),
      TSP_LOGDRIVER_EVENTS_DIR: path.join(work, `throughput-events-${sink}`),
      TSP_LOGDRIVER_DEFAULT_SINK: 'file',
      TSP_LOGDRIVER_RATE_LIMIT: '10000000',
      TSP_LOGDRIVER_RATE_BURST: '10000000',
      TSP_LOGDRIVER_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  });
  try {
    await waitForReady(`${url}/ready`, ld, 'logdriver');
    const all = bodies(events, `${sink}-${Date.now()}`);
    const started = Date.now();
    await post(url, all, 2);
    const acceptedMs = Date.now() - started;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const text = await (await fetch(`${url}/metrics`)).text();
      if (metricSum(text, 'tsp_logdriver_events_delivered_total') >= events) break;
      if (Date.now() > deadline) throw new Error(`the logdriver delivered fewer than ${events} events to ${sink} within 120 s`);
      await sleep(20);
    }
    const deliveredMs = Date.now() - started;
    return { sink, events, tenants: TENANTS, acceptedPerSecond: (events * 1000) / acceptedMs, deliveredPerSecond: (events * 1000) / deliveredMs };
  } finally {
    await reg.stop(ld);
  }
}
