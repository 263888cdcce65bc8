import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { CloudFake, freePort, ProxyProcess, startCloudFakes, startProxy, stopCloudFakes, TestEnvironment, waitUntil } from '@tsp/test-support';

/**
 * TSP_WORKERS=2 with the BUILT proxy: two API workers share the port behind a primary that
 * serves health. Requests reach both workers (each counts its own, the primary sums them),
 * /metrics aggregates the counters (which never go backwards when a worker dies), a killed
 * worker is restarted while the pod stays ready on the other, a stopped (hung) worker shows as
 * unresponsive, the workers' environment holds no setting, and SIGTERM to the primary, or
 * Ctrl-C to the whole process group, drains requests in flight in both workers (a KMS answering
 * after 4 s) before exit 0, their answers saying `Connection: close`.
 */
let env: TestEnvironment;
let fakes: CloudFake[];
let aws: CloudFake;
const AWS_TENANT = 'workers-aws';
const KMS_LATENCY_MS = 4000;

interface Answer {
  status: number;
  body: string;
  /** The response's Connection header. */
  connection: string | undefined;
  /** Date.now() when the answer's headers arrived. */
  at: number;
}

/**
 * One wrap on a new connection (by default agent: false, which sends `Connection: close`), so
 * the cluster hands connections out round-robin; with a keep-alive agent, the proxy decides
 * whether the connection stays open.
 */
function wrapOnNewConnection(p: ProxyProcess, tenantId: string, requestingId: string, agent: Agent | false = false): Promise<Answer> {
  const body = JSON.stringify({ tenantId, iclFields: { requestingId } });
  const u = new URL(p.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: '/api/1/document/wrap',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: `cmk ${env.apiKey}` },
        timeout: 15_000,
      },
      (res) => {
        const at = Date.now();
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection, at }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end(body);
  });
}

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

interface WorkerView {
  index: number;
  pid: number | null;
  state: string;
  restarts: number;
  requests: number | null;
}

async function health(p: ProxyProcess): Promise<{ status: string; config: { sequence: number; tenants: number }; events: { queueDepth: number }; workers: WorkerView[] }> {
  const res = await fetch(`${p.healthUrl}/health`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as { status: string; config: { sequence: number; tenants: number }; events: { queueDepth: number }; workers: WorkerView[] };
}

/** The sum of every sample of `name` in the Prometheus text. */
function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** The aggregated tsp_requests_total from the primary's /metrics. */
async function requestsTotal(p: ProxyProcess): Promise<number> {
  const res = await fetch(`${p.healthUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return sumOf(await res.text(), 'tsp_requests_total');
}

/**
 * TSP_WORKERS=2; API_KEY also in the environment (besides the service account file), to check
 * the workers do not get it; and an ordinary variable only this test sets (not TSP_*: those
 * are settings), to check the workers get the rest of the environment.
 */
const startTwoWorkers = (extra: { detached?: boolean } = {}): Promise<ProxyProcess> =>
  startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_WORKERS: '2', TSP_KMS_TIMEOUT_MS: '15000', API_KEY: env.apiKey, WORKERS_E2E_MARKER: '1' }, ...extra });

beforeAll(async () => {
  fakes = await startCloudFakes();
  const found = fakes.find((f) => f.name === 'aws');
  if (found === undefined) throw new Error('no AWS fake');
  aws = found;
  env = await TestEnvironment.create();
  env.update((tenants) => tenants.push({ tenantId: AWS_TENANT, kmsConfigs: [aws.kmsConfig(3000)], secrets: [] }));
});

afterAll(async () => {
  env?.remove();
  await stopCloudFakes(fakes ?? []);
});

afterEach(() => aws?.clearFaults());

describe('TSP_WORKERS=2', () => {
  let proxy: ProxyProcess;

  beforeAll(async () => {
    proxy = await startTwoWorkers();
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  test('two worker processes serve; the primary serves health, not the API', async () => {
    const h = await health(proxy);
    expect(h.status).toBe('ok');
    expect(h.workers).toHaveLength(2);
    expect(h.workers.map((w) => w.state)).toEqual(['serving', 'serving']);
    const pids = h.workers.map((w) => w.pid);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(proxy.child.pid);
    expect(h.config.tenants).toBeGreaterThan(0);
    expect(h.config.sequence).toBe(env.tenants().sequence);
  });

  test("the workers' environment holds no setting (no API key, no TSP_*: the config came over IPC), and the other variables", async () => {
    const h = await health(proxy);
    const primary = readFileSync(`/proc/${String(proxy.child.pid)}/environ`, 'utf8');
    // Booleans, so a failure never prints the key. Given to the primary: the check below can fail.
    expect(primary.split('\0').includes(`API_KEY=${env.apiKey}`)).toBe(true);
    for (const w of h.workers) {
      const environ = readFileSync(`/proc/${String(w.pid)}/environ`, 'utf8').split('\0');
      expect(environ.some((v) => v.includes(env.apiKey))).toBe(false);
      expect(environ.filter((v) => v.startsWith('TSP_') || v.startsWith('API_KEY') || v.startsWith('LOGDRIVER_URL=')).map((v) => v.split('=')[0])).toEqual([]);
      expect(environ).toContain('WORKERS_E2E_MARKER=1');
    }
  });

  test('requests reach both workers; /health and the aggregated /metrics count each one once', async () => {
    const K = 40;
    const before = await health(proxy);
    const beforeMetrics = sumOf(await (await fetch(`${proxy.healthUrl}/metrics`)).text(), 'tsp_requests_total');
    const answers = await Promise.all(Array.from({ length: K }, () => wrapOnNewConnection(proxy, 'demo-tenant-2', 'workers-e2e')));
    expect(answers.map((a) => a.status)).toEqual(Array(K).fill(200));

    const after = await health(proxy);
    const served = after.workers.map((w, i) => (w.requests ?? 0) - (before.workers[i]?.requests ?? 0));
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
    expect((served[0] ?? 0) + (served[1] ?? 0)).toBe(K);

    const text = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
    expect(sumOf(text, 'tsp_requests_total') - beforeMetrics).toBe(K);
    expect(text).toMatch(/^tsp_proxy_workers\{state="serving"\} 2$/m);
    // One aggregated series, not one per worker; the laggiest worker's sequence.
    expect(text.match(/^tsp_config_sequence /gm)).toHaveLength(1);
    expect(sumOf(text, 'tsp_config_sequence')).toBe(env.tenants().sequence);

    // Both workers' events reach stdout as whole JSON lines (never interleaved mid-line).
    await proxy.waitFor(() => proxy.stdoutLines.filter((l) => l.includes('"workers-e2e"')).length === K, 5000);
    for (const line of proxy.stdoutLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  test('a worker killed with SIGKILL is restarted; the pod stays ready on the other, and the summed counters never go backwards', async () => {
    const h = await health(proxy);
    const victim = h.workers[1]?.pid;
    if (victim === null || victim === undefined) throw new Error('no worker pid');
    const totals = [await requestsTotal(proxy)];
    const answersBefore = await Promise.all(Array.from({ length: 10 }, () => wrapOnNewConnection(proxy, 'demo-tenant-2', 'before-kill')));
    expect(answersBefore.map((a) => a.status)).toEqual(Array(10).fill(200));
    totals.push(await requestsTotal(proxy));
    expect(totals[1]).toBe((totals[0] ?? 0) + 10);

    process.kill(victim, 'SIGKILL');
    const readiness: number[] = [];
    // Until the slot serves again with a new pid: /ready stays 200 (worker 0 serves), requests succeed.
    await waitUntil(
      async () => {
        readiness.push(await status(`${proxy.healthUrl}/ready`));
        totals.push(await requestsTotal(proxy));
        const w = (await health(proxy)).workers[1];
        return w?.state === 'serving' && w.pid !== victim && w.pid !== null;
      },
      20_000,
      'worker 1 serving again',
    );
    expect(readiness.every((code) => code === 200)).toBe(true);
    expect(await status(`${proxy.healthUrl}/live`)).toBe(200);
    const again = await health(proxy);
    expect(again.status).toBe('ok');
    expect(again.workers[1]?.restarts).toBe(1);
    expect(again.workers.map((w) => w.state)).toEqual(['serving', 'serving']);
    const answers = await Promise.all(Array.from({ length: 10 }, () => wrapOnNewConnection(proxy, 'demo-tenant-2', 'after-restart')));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    totals.push(await requestsTotal(proxy));
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1] ?? 0);
    expect(totals.at(-1)).toBeGreaterThanOrEqual((totals[1] ?? 0) + 10);
    const restarted = await health(proxy);
    expect(restarted.workers[1]?.requests).toBeGreaterThan(0);
    expect(proxy.stderr()).toContain('proxy worker exited unexpectedly; restarting');
    expect(proxy.stderr()).toContain('"signal":"SIGKILL"');
    expect(proxy.stderr().includes(env.apiKey)).toBe(false);
    const metrics = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tsp_proxy_worker_restarts_total 1$/m);
    expect(metrics).toMatch(/^tsp_process_start_time_seconds \d+/m);
  }, 60_000);

  test('a stopped (hung) worker: unresponsive within seconds, the pod still ready and degraded; serving again once it runs', async () => {
    const h = await health(proxy);
    const hung = h.workers[0]?.pid;
    if (hung === null || hung === undefined) throw new Error('no worker pid');
    process.kill(hung, 'SIGSTOP');
    try {
      await waitUntil(async () => (await health(proxy)).workers[0]?.state === 'unresponsive', 15_000, 'worker 0 unresponsive');
      const t0 = Date.now();
      const during = await health(proxy);
      expect(Date.now() - t0).toBeLessThan(1500); // the primary does not wait for the stopped worker
      expect(during.status).toBe('degraded');
      expect(during.workers[1]?.state).toBe('serving');
      expect(await status(`${proxy.healthUrl}/ready`)).toBe(200);
      const metrics = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
      expect(metrics).toMatch(/^tsp_proxy_workers\{state="unresponsive"\} 1$/m);
      expect(metrics).toMatch(/^tsp_proxy_workers\{state="serving"\} 1$/m);
    } finally {
      process.kill(hung, 'SIGCONT');
    }
    await waitUntil(async () => (await health(proxy)).status === 'ok', 10_000, 'health ok again');
    const after = await health(proxy);
    expect(after.workers[0]).toMatchObject({ pid: hung, state: 'serving', restarts: 0 });
    expect(proxy.stderr()).toContain('proxy worker unresponsive');
  }, 40_000);
});

/**
 * Sends `n` wraps that wait on the slow KMS (each on its own keep-alive connection), and
 * resolves once the KMS has seen all of them (the answers are wrapped in an object: an async
 * function returning a promise would wait for it). The KMS holds each answer 4 s, so a signal
 * sent right after is sent while all wait (drainedAnswers checks it).
 */
async function slowRequestsInFlight(p: ProxyProcess, n: number, requestingId: string): Promise<{ answers: Promise<Answer[]> }> {
  aws.setLatency(KMS_LATENCY_MS);
  const seen = aws.kmsRequests();
  const agent = new Agent({ keepAlive: true });
  const answers = Promise.all(Array.from({ length: n }, () => wrapOnNewConnection(p, AWS_TENANT, requestingId, agent))).finally(() => agent.destroy());
  await waitUntil(() => aws.kmsRequests() >= seen + n, 15_000, 'every request waiting on the KMS');
  return { answers };
}

/**
 * Checks that every answer came after the signal (so each request was in flight when it was
 * sent), with `Connection: close` (the drain closes the connection: the client must not reuse
 * it); returns the statuses.
 */
async function drainedAnswers(inFlight: { answers: Promise<Answer[]> }, signalledAt: number): Promise<number[]> {
  const all = await inFlight.answers;
  for (const a of all) {
    expect(a.at).toBeGreaterThanOrEqual(signalledAt);
    expect(a.connection).toBe('close');
  }
  return all.map((a) => a.status);
}

test('SIGTERM to the primary: in-flight requests in both workers complete 200, then exit 0 promptly', async () => {
  const p = await startTwoWorkers();
  try {
    const inFlight = await slowRequestsInFlight(p, 6, 'sigterm-e2e');
    const t0 = Date.now();
    const code = p.stop('SIGTERM');
    await waitUntil(async () => (await status(`${p.healthUrl}/ready`)) !== 200, 3000, '/ready not 200 while shutting down');
    expect(await drainedAnswers(inFlight, t0)).toEqual(Array(6).fill(200));
    expect(await code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(KMS_LATENCY_MS + 8000);
    // Each worker drained (it was asked by the primary) and flushed its events.
    expect(p.stderr()).toMatch(/"worker":0[,}]/);
    expect(p.stderr()).toMatch(/"worker":1[,}]/);
    expect(p.stderr().match(/worker shutting down/g)).toHaveLength(2);
    expect(p.stdoutLines.filter((l) => l.includes('"sigterm-e2e"'))).toHaveLength(6);
    expect(p.stderr()).not.toContain('exited unexpectedly');
  } finally {
    await p.stop('SIGKILL');
  }
}, 60_000);

test("Ctrl-C (SIGINT to the whole process group): workers drain once, in-flight requests complete, exit 0", async () => {
  const p = await startTwoWorkers({ detached: true });
  try {
    const inFlight = await slowRequestsInFlight(p, 6, 'sigint-e2e');
    const pid = p.child.pid;
    if (pid === undefined) throw new Error('no pid');
    const t0 = Date.now();
    process.kill(-pid, 'SIGINT');
    expect(await drainedAnswers(inFlight, t0)).toEqual(Array(6).fill(200));
    expect(await p.stop('SIGINT')).toBe(0);
    expect(p.stderr().match(/worker shutting down/g)).toHaveLength(2);
    expect(p.stderr()).not.toContain('exited unexpectedly');
  } finally {
    await p.stop('SIGKILL');
  }
}, 60_000);

test('with 2 workers, startup failures stay clear and fatal: bad settings in the primary, an unreachable broker in the workers', async () => {
  const bad = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_WORKERS: '2', TSP_PROT: '1', API_KEY: 'c2hvcnQ=' }, expectExit: true });
  expect(bad.child.exitCode).toBe(1);
  expect(bad.stderr()).toContain('TSP_PROT is not a known setting');
  expect(bad.stderr()).toContain('API_KEY must be base64 of at least 12 bytes');
  expect(bad.stderr()).not.toContain('c2hvcnQ=');

  const port = await freePort();
  const t0 = Date.now();
  const down = await startProxy({
    serviceAccountFile: env.env.serviceAccountFile,
    env: { TSP_WORKERS: '2', TSP_CONFIG_URL: `http://127.0.0.1:${port}/config`, TSP_CONFIG_FETCH_TIMEOUT: '2' },
    expectExit: true,
  });
  expect(down.child.exitCode).toBe(1);
  expect(down.stderr()).toContain('proxy failed to start');
  expect(down.stderr()).toContain(`config from http://127.0.0.1:${port}/config`);
  expect(Date.now() - t0).toBeLessThan(20_000);
}, 40_000);
