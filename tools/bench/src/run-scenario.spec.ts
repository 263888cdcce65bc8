import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProcessRegistry, TrackedChild } from './child-processes';
import { chooseLoadGenerator, LoadResult } from './load-generator';
import { readOptions } from './options';
import { mergeLoadResults, runScenarioSplit, splitEvenly } from './run-scenario';
import type { Scenario } from './scenarios';

const result = (over: Partial<LoadResult>): LoadResult => ({
  requests: 1000,
  seconds: 1,
  requestsPerSecond: 1000,
  latencyP50Ms: 1,
  latencyP99Ms: 5,
  non2xx: 0,
  socketErrors: 0,
  ...over,
});

describe('splitEvenly', () => {
  it('splits into whole shares as equal as possible, larger first, summing to the total', () => {
    expect(splitEvenly(50, 2)).toEqual([25, 25]);
    expect(splitEvenly(5, 2)).toEqual([3, 2]);
    expect(splitEvenly(7, 3)).toEqual([3, 2, 2]);
    expect(splitEvenly(2, 1)).toEqual([2]);
  });

  it('refuses zero parts and fractions', () => {
    expect(() => splitEvenly(5, 0)).toThrow(/cannot split/);
    expect(() => splitEvenly(2.5, 2)).toThrow(/cannot split/);
  });
});

describe('mergeLoadResults', () => {
  it('sums counts and rates, keeps the longest duration and the higher latency percentiles', () => {
    const a = result({ requests: 100_000, seconds: 10.01, requestsPerSecond: 9990, latencyP50Ms: 2.1, latencyP99Ms: 9, non2xx: 1, socketErrors: 2 });
    const b = result({ requests: 110_000, seconds: 10.02, requestsPerSecond: 10_978, latencyP50Ms: 1.9, latencyP99Ms: 11, non2xx: 3, socketErrors: 0 });
    expect(mergeLoadResults([a, b])).toEqual({
      requests: 210_000,
      seconds: 10.02,
      requestsPerSecond: 20_968,
      latencyP50Ms: 2.1,
      latencyP99Ms: 11,
      non2xx: 4,
      socketErrors: 2,
    });
  });

  it('one result is itself (runScenario unchanged); none is an error', () => {
    const a = result({ requestsPerSecond: 1234 });
    expect(mergeLoadResults([a])).toEqual(a);
    expect(() => mergeLoadResults([])).toThrow(/no load generator results/);
  });
});

/** A loopback JSON server that counts the connections and requests it gets. */
async function countingServer(): Promise<{ url: string; counts: { connections: number; requests: number }; close(): Promise<void> }> {
  const counts = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      counts.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.on('connection', () => counts.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const scenario: Scenario = {
  id: 'split-test',
  label: '(t) split test',
  target: 'baseline',
  path: '/x',
  tenantId: 't',
  body: '{"tenantId":"t"}',
  docsPerRequest: 1,
  check: (status) => (status === 200 ? undefined : `HTTP ${status}`),
};

describe('runScenarioSplit (real load generator, two loopback servers)', () => {
  const reg = new ProcessRegistry();
  afterAll(() => reg.cleanup());

  /** A live child standing in for each server's process (the servers themselves run in this process). */
  const liveChild = (name: string): TrackedChild => reg.spawn(name, 'sleep', ['60'], { stdio: ['ignore', 'ignore', 'pipe'] });

  it('loads both servers at once with half the connections each and sums their rates', async () => {
    const servers = [await countingServer(), await countingServer()];
    try {
      const gen = chooseLoadGenerator(reg, reg.tempDir('tsp-split-'), { forceAutocannon: false, cpu: undefined }, () => undefined);
      const opts = readOptions({ BENCH_DURATION: '1', BENCH_WARMUP: '1', BENCH_CONNECTIONS: '10', BENCH_THREADS: '2' });
      const during = servers.map(() => ({ connections: 0, requests: 0 }));
      const wall = { start: 0, ms: 0 };
      const hooks = {
        begin: () => {
          servers.forEach((s) => Object.assign(s.counts, { connections: 0, requests: 0 }));
          wall.start = Date.now();
        },
        end: () => {
          wall.ms = Date.now() - wall.start;
          servers.forEach((s, i) => Object.assign(during[i] ?? {}, s.counts));
        },
      };
      const targets = servers.map((s, i) => ({ baseUrl: s.url, server: liveChild(`server ${i}`) }));
      const r = await runScenarioSplit(gen, opts, scenario, targets, {}, () => undefined, { hooks });
      expect(r.ok).toBe(true);
      expect(r.connections).toBe(10);
      // The two 1-second runs ran at the same time, not one after the other.
      expect(wall.ms).toBeGreaterThanOrEqual(1000);
      expect(wall.ms).toBeLessThan(1900);
      // Each server had its own load generator run with 5 of the 10 connections, during the measured second.
      // (wrk also opens one connection to test the address before its run: 5 or 6.)
      for (const d of during) {
        expect(d.connections).toBeGreaterThanOrEqual(5);
        expect(d.connections).toBeLessThanOrEqual(6);
        expect(d.requests).toBeGreaterThan(100);
      }
      // The merged count is both servers' (less the requests cut off in flight at the end).
      const served = during.reduce((a, d) => a + d.requests, 0);
      expect(r.requests).toBeLessThanOrEqual(served);
      expect(r.requests).toBeGreaterThanOrEqual(served - 10);
      expect(r.requestsPerSecond).toBeGreaterThan(0);
      for (const t of targets) await reg.stop(t.server);
    } finally {
      for (const s of servers) await s.close();
    }
  }, 30_000);

  it('flags the row when one of the servers has exited, and refuses more servers than connections', async () => {
    const servers = [await countingServer(), await countingServer()];
    try {
      const gen = chooseLoadGenerator(reg, reg.tempDir('tsp-split-'), { forceAutocannon: false, cpu: undefined }, () => undefined);
      const opts = readOptions({ BENCH_DURATION: '1', BENCH_WARMUP: '0', BENCH_CONNECTIONS: '4', BENCH_THREADS: '1' });
      const gone = reg.spawn('gone', 'true', [], { stdio: ['ignore', 'ignore', 'pipe'] });
      await gone.exited;
      const alive = liveChild('alive');
      const notes: string[] = [];
      const targets = [
        { baseUrl: servers[0]?.url ?? '', server: alive },
        { baseUrl: servers[1]?.url ?? '', server: gone },
      ];
      const r = await runScenarioSplit(gen, opts, scenario, targets, {}, (s) => notes.push(s));
      expect(r.ok).toBe(false);
      expect(notes.join('\n')).toContain('gone exited during the run');
      await expect(runScenarioSplit(gen, { ...opts, connections: 1 }, scenario, targets, {}, () => undefined)).rejects.toThrow(/cannot be split/);
      await reg.stop(alive);
    } finally {
      for (const s of servers) await s.close();
    }
  }, 30_000);
});
