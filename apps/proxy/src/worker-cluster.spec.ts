import cluster from 'node:cluster';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { AggregatorRegistry } from 'prom-client';
import { createLogger } from '@tsp/observability';
import { bundleTestFixture, waitUntil } from '@tsp/test-support';
import { clusterHealth } from './cluster-health';
import type { ProxyConfig } from './proxy-config';
import { resolveWorkerCount, supervisorDeadlineMs, WorkerCluster, WorkerClusterOptions } from './worker-cluster';

/**
 * The supervisor with real worker processes: node:cluster forks a stand-in worker
 * (worker-cluster.fixture.ts, bundled here) that speaks the cluster protocol and does what its
 * slot file says (crash, hang, stop, fail to drain).
 */
const dir = mkdtempSync(path.join(tmpdir(), 'worker-cluster-'));
const exec = path.join(dir, 'fixture.js');
const API_KEY = 'd29ya2VyLWNsdXN0ZXItc3BlYy1hcGkta2V5';
const SIGNING_KEY = 'c2lnbmluZy1rZXktdGhhdC1tdXN0LW5vdC1sZWFr';

beforeAll(async () => {
  await bundleTestFixture(path.join(__dirname, 'worker-cluster.fixture.ts'), exec);
  cluster.setupPrimary({ exec, execArgv: [], silent: true });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LogLine {
  message: string;
  [k: string]: unknown;
}

const behave = (slot: number, b: object): void => writeFileSync(path.join(dir, `slot-${slot}.json`), JSON.stringify(b));

let running: WorkerCluster[] = [];

function startCluster(workers: number, over: Partial<WorkerClusterOptions> = {}, onLog?: (l: LogLine) => void): { c: WorkerCluster; logs: LogLine[]; started: Promise<void> } {
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const l = JSON.parse(line) as LogLine;
        logs.push(l);
        onLog?.(l);
      }
      done();
    },
  });
  const c = new WorkerCluster({
    config: {} as ProxyConfig,
    logger: createLogger({ level: 'debug', service: 'worker-cluster-spec', stream }),
    workers,
    env: { ...process.env, WORKER_FIXTURE_DIR: dir, API_KEY, TSP_SA_SIGNING_KEY: SIGNING_KEY },
    ...over,
  });
  running.push(c);
  return { c, logs, started: c.start() };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const pidOf = (c: WorkerCluster, slot: number): number => {
  const pid = c.snapshot()[slot]?.pid;
  if (pid === undefined) throw new Error(`slot ${slot} has no worker`);
  return pid;
};

beforeEach(() => {
  for (let i = 0; i < 3; i++) behave(i, {});
});

afterEach(async () => {
  for (const c of running) {
    const pids = c.snapshot().flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    if (c.state !== 'shutting-down') await c.shutdown(3000).catch(() => undefined);
    c.killAll();
    await waitUntil(() => pids.every((p) => !alive(p)), 5000, 'fixture workers gone');
  }
  running = [];
});

test('workers are forked without the settings in their environment; shutdown drains them', async () => {
  const { c, started } = startCluster(2);
  await started;
  expect(c.ready()).toBe(true);
  for (const slot of [0, 1]) {
    const environ = readFileSync(`/proc/${pidOf(c, slot)}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`WORKER_FIXTURE_DIR=${dir}`);
    // Names and booleans only, so a failure never prints a key.
    expect(environ.filter((v) => v.startsWith('TSP_') || v.startsWith('API_KEY')).map((v) => v.split('=')[0])).toEqual([]);
    expect(environ.some((v) => v.includes(API_KEY) || v.includes(SIGNING_KEY))).toBe(false);
  }
  const pids = [pidOf(c, 0), pidOf(c, 1)];
  await c.shutdown(10_000);
  expect(c.snapshot().map((s) => [s.state, s.pid])).toEqual([
    ['stopped', undefined],
    ['stopped', undefined],
  ]);
  expect(pids.some(alive)).toBe(false);
});

test('ready only once every worker has served; then while at least one serves (health degraded), not when none does', async () => {
  behave(1, { serveAfterMs: 1500 });
  const { c, started } = startCluster(2, { firstRestartDelayMs: 100 });
  await waitUntil(() => c.snapshot()[0]?.state === 'serving', 10_000, 'worker 0 serving');
  expect(c.snapshot()[1]?.state).toBe('starting');
  expect(c.ready()).toBe(false);
  await started;
  expect(c.ready()).toBe(true);
  expect(clusterHealth(c, await c.status(false, 5000)).status).toBe('ok');

  // One worker dies: the other serves, so the pod stays ready; /health says degraded.
  const victim = pidOf(c, 1);
  process.kill(victim, 'SIGKILL');
  await waitUntil(() => c.snapshot()[1]?.state !== 'serving', 5000, 'worker 1 not serving');
  expect(c.ready()).toBe(true);
  const h = clusterHealth(c, await c.status(false, 5000));
  expect(h.status).toBe('degraded');
  expect(h.workers[1]?.pid).toBeNull(); // the dead worker's pid is not reported
  expect(h.workers[1]?.state).toMatch(/^(restarting|starting)$/);
  await waitUntil(() => c.snapshot()[1]?.state === 'serving', 10_000, 'worker 1 serving again');
  expect(c.snapshot()[1]?.pid).not.toBe(victim);

  // Both die (and take 1.5 s to serve again): nothing serves, not ready.
  behave(0, { serveAfterMs: 1500 });
  process.kill(pidOf(c, 0), 'SIGKILL');
  process.kill(pidOf(c, 1), 'SIGKILL');
  await waitUntil(() => c.snapshot().every((s) => s.state !== 'serving'), 5000, 'no worker serving');
  expect(c.ready()).toBe(false);
  expect(clusterHealth(c, await c.status(false, 5000)).status).toBe('unavailable');
  await waitUntil(() => c.ready(), 10_000, 'ready again');
});

test('restart backoff doubles per consecutive failure up to the maximum, and starts over after a stable run', async () => {
  const restarts: Array<{ delay: number; at: number }> = [];
  const served: number[] = [];
  behave(0, { exitAfterMs: 50 });
  const { c, started } = startCluster(1, { firstRestartDelayMs: 100, maxRestartDelayMs: 400, stableMs: 1000 }, (l) => {
    if (l.message === 'proxy worker exited unexpectedly; restarting') {
      restarts.push({ delay: l['restartInMs'] as number, at: Date.now() });
      // After four quick failures the next worker serves 1.3 s (a stable run) before it exits.
      if (restarts.length === 4) behave(0, { exitAfterMs: 1300 });
      if (restarts.length === 5) behave(0, {});
    }
    if (l.message === 'proxy worker serving again') served.push(Date.now());
  });
  await started;
  await waitUntil(() => served.length === 5, 20_000, 'five restarts served');
  expect(restarts.map((r) => r.delay)).toEqual([100, 200, 400, 400, 100]);
  // Each restart waited its delay (the fork follows the timer).
  restarts.forEach((r, i) => expect((served[i] ?? 0) - r.at).toBeGreaterThanOrEqual(r.delay - 5));
  expect(c.restartsTotal).toBe(5);
  expect(c.snapshot()[0]).toMatchObject({ state: 'serving', restarts: 5 });
}, 30_000);

test('a worker dying during shutdown is not restarted, and the shutdown reports it', async () => {
  behave(1, { onShutdown: 'crash' });
  const { c, logs, started } = startCluster(2, { firstRestartDelayMs: 50 });
  await started;
  const pids = [pidOf(c, 0), pidOf(c, 1)];
  await expect(c.shutdown(10_000)).rejects.toThrow('1 worker(s) did not shut down cleanly');
  expect(c.restartsTotal).toBe(0);
  expect(c.snapshot().map((s) => s.state)).toEqual(['stopped', 'stopped']);
  expect(c.snapshot()[1]?.lastExit?.code).toBe(3);
  await new Promise((r) => setTimeout(r, 300)); // longer than the restart delay: still nothing forked
  expect(c.snapshot().every((s) => s.pid === undefined)).toBe(true);
  expect(pids.some(alive)).toBe(false);
  expect(logs.map((l) => l.message)).not.toContain('proxy worker exited unexpectedly; restarting');
});

test('a worker that does not drain is killed at the shutdown deadline', async () => {
  behave(0, { onShutdown: 'hang' });
  const { c, started } = startCluster(2);
  await started;
  const hung = pidOf(c, 0);
  const t0 = Date.now();
  await expect(c.shutdown(800)).rejects.toThrow('workers did not finish within the shutdown deadline: killed');
  expect(Date.now() - t0).toBeGreaterThanOrEqual(790);
  await waitUntil(() => !alive(hung), 5000, 'the hung worker killed');
});

test('a hung worker is unresponsive (not serving, not waited for), then killed and restarted', async () => {
  behave(1, { stopAfterMs: 300 });
  const { c, logs, started } = startCluster(2, { pingIntervalMs: 100, unresponsiveAfterMs: 600, killUnresponsiveAfterMs: 2500, firstRestartDelayMs: 50 });
  await started;
  const hung = pidOf(c, 1);
  behave(1, {}); // its replacement behaves
  await waitUntil(() => c.snapshot()[1]?.state === 'unresponsive', 5000, 'worker 1 unresponsive');
  expect(c.ready()).toBe(true);
  const t0 = Date.now();
  const h = clusterHealth(c, await c.status(true, 5000));
  expect(Date.now() - t0).toBeLessThan(2000); // the stopped worker is not asked
  expect(h.status).toBe('degraded');
  expect(h.workers.map((w) => w.state)).toEqual(['serving', 'unresponsive']);
  await waitUntil(() => c.snapshot()[1]?.state === 'serving' && c.snapshot()[1]?.pid !== hung, 10_000, 'worker 1 replaced');
  expect(alive(hung)).toBe(false);
  expect(c.snapshot()[1]?.restarts).toBe(1);
  expect(logs.find((l) => l.message === 'proxy worker unresponsive; killing it')).toMatchObject({ worker: 1, pid: hung });
  expect(logs.find((l) => l.message === 'proxy worker exited unexpectedly; restarting')).toMatchObject({ signal: 'SIGKILL', reason: 'unresponsive' });
});

test('a worker stopped briefly is unresponsive, and serving again once it answers', async () => {
  const { c, started } = startCluster(2, { pingIntervalMs: 100, unresponsiveAfterMs: 600, killUnresponsiveAfterMs: 30_000 });
  await started;
  const pid = pidOf(c, 0);
  process.kill(pid, 'SIGSTOP');
  await waitUntil(() => c.snapshot()[0]?.state === 'unresponsive', 5000, 'worker 0 unresponsive');
  process.kill(pid, 'SIGCONT');
  await waitUntil(() => c.snapshot()[0]?.state === 'serving', 5000, 'worker 0 serving again');
  expect(c.snapshot()[0]).toMatchObject({ pid, restarts: 0 });
});

test('a primary stalled longer than the kill time kills no one and marks no one unresponsive: the silence was its own', async () => {
  const { c, logs, started } = startCluster(2, { pingIntervalMs: 100, unresponsiveAfterMs: 600, killUnresponsiveAfterMs: 1500 });
  await started;
  const pids = [pidOf(c, 0), pidOf(c, 1)];
  await new Promise((r) => setTimeout(r, 300)); // a few pings answered
  // The primary's event loop does not run (as when its process group is stopped, or its
  // container paused) while the workers keep running: their answers wait in the IPC channel.
  const until = performance.now() + 2500;
  while (performance.now() < until) {
    /* busy */
  }
  await new Promise((r) => setTimeout(r, 1000)); // ten ticks after the stall
  expect(pids.every(alive)).toBe(true);
  expect(c.snapshot().map((s) => [s.state, s.pid, s.restarts])).toEqual([
    ['serving', pids[0], 0],
    ['serving', pids[1], 0],
  ]);
  expect(c.restartsTotal).toBe(0);
  const messages = logs.map((l) => l.message);
  expect(logs.find((l) => l.message === 'proxy supervisor stalled; worker silence not judged this tick')?.['stalledMs']).toBeGreaterThanOrEqual(2500);
  expect(messages).not.toContain('proxy worker unresponsive');
  expect(messages).not.toContain('proxy worker unresponsive; killing it');
});

test('a worker killed as unresponsive that exits during the shutdown is not a failed drain', async () => {
  behave(1, { stopAfterMs: 300 });
  let killing: () => void = () => undefined;
  const killed = new Promise<void>((r) => (killing = r));
  const { c, logs, started } = startCluster(2, { pingIntervalMs: 100, unresponsiveAfterMs: 600, killUnresponsiveAfterMs: 1500, firstRestartDelayMs: 50 }, (l) => {
    if (l.message === 'proxy worker unresponsive; killing it') killing();
  });
  await started;
  const hung = pidOf(c, 1);
  await killed;
  // The SIGKILL is sent (in the same turn as the log line); its exit is seen in a later turn.
  expect(c.snapshot()[1]?.pid).toBe(hung);
  await c.shutdown(5000);
  expect(c.restartsTotal).toBe(0);
  expect(c.snapshot().map((s) => s.state)).toEqual(['stopped', 'stopped']);
  expect(c.snapshot()[1]?.lastExit?.signal).toBe('SIGKILL');
  expect(logs.find((l) => l.message === 'proxy worker killed as unresponsive exited during shutdown')).toMatchObject({ worker: 1, pid: hung, signal: 'SIGKILL' });
  expect(alive(hung)).toBe(false);
});

test('aggregated counters never go backwards when a worker dies: its last counts stay as retired', async () => {
  const { c, started } = startCluster(2, { firstRestartDelayMs: 50 });
  await started;
  const total = async (): Promise<number> => {
    await c.status(true, 5000);
    const metrics = await AggregatorRegistry.aggregate(c.metrics.inputs((i) => c.isServing(i))).getMetricsAsJSON();
    return metrics.find((m) => m.name === 'fixture_status_requests_total')?.values.reduce((a, v) => a + v.value, 0) ?? 0;
  };
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) seen.push(await total());
  const victim = pidOf(c, 0);
  process.kill(victim, 'SIGKILL');
  await waitUntil(() => c.snapshot()[0]?.pid === undefined || c.snapshot()[0]?.pid !== victim, 5000, 'worker 0 gone');
  seen.push(await total());
  await waitUntil(() => c.snapshot()[0]?.state === 'serving', 10_000, 'worker 0 serving again');
  for (let i = 0; i < 3; i++) seen.push(await total());
  for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] ?? 0);
  // Each worker's count is its status answers (the fixture counts them): 3 + 3 before the kill.
  expect(seen[2]).toBe(6);
  expect(seen.at(-1)).toBeGreaterThan(seen[2] ?? 0);
});

test('TSP_WORKERS=0 resolves to the usable CPUs, at most 64; the supervisor deadline is shorter than runService\'s', () => {
  expect(resolveWorkerCount(0, () => 4)).toBe(4);
  expect(resolveWorkerCount(0, () => 128)).toBe(64);
  expect(resolveWorkerCount(3, () => 128)).toBe(3);
  expect(supervisorDeadlineMs(15_000)).toBe(14_500);
  expect(supervisorDeadlineMs(600)).toBe(300);
  expect(supervisorDeadlineMs(100)).toBe(50);
});
