import { clusterHealth } from './cluster-health';
import type { WorkerHealth } from './cluster-messages';
import type { StatusReply, WorkerCluster, WorkerSlot } from './worker-cluster';

const slot = (index: number, state: WorkerSlot['state'], pid: number | undefined): WorkerSlot => ({
  index, state, pid, restarts: 0, lastExit: undefined, lastFailure: undefined,
});

const health = (sequence: number, tenants: number, over: Partial<WorkerHealth['config']> = {}, queueDepth = 0, dropped = 0): WorkerHealth => ({
  state: 'serving',
  config: { sequence, tenants, invalidTenants: 0, lastSuccessAt: '2026-01-01T00:00:00.000Z', lastError: null, consecutiveFailures: 0, ...over },
  events: { queueDepth, dropped },
  requests: sequence * 10,
});

const cluster = (state: WorkerCluster['state'], ready: boolean): WorkerCluster => ({ state, ready: () => ready }) as unknown as WorkerCluster;

test('the single-process shape at top level: the laggiest worker config, summed events, each worker listed', () => {
  const replies: StatusReply[] = [
    { slot: slot(0, 'serving', 101), health: health(8, 30, {}, 4, 1) },
    { slot: slot(1, 'serving', 102), health: health(7, 29, { lastError: 'broker unreachable', consecutiveFailures: 3 }, 5, 2) },
  ];
  const body = clusterHealth(cluster('serving', true), replies);
  expect(body.status).toBe('degraded');
  expect(body.config).toMatchObject({ sequence: 7, tenants: 29, lastError: 'broker unreachable', consecutiveFailures: 3 });
  expect(body.events).toEqual({ queueDepth: 9, dropped: 3 });
  expect(body.workers.map((w) => [w.index, w.pid, w.state, w.requests])).toEqual([
    [0, 101, 'serving', 80],
    [1, 102, 'serving', 70],
  ]);
});

test('a restarting worker: status degraded (the others serve), its detail and pid null, the others still aggregated', () => {
  const replies: StatusReply[] = [{ slot: slot(0, 'serving', 101), health: health(8, 30) }, { slot: slot(1, 'restarting', undefined) }];
  const body = clusterHealth(cluster('serving', true), replies);
  expect(body.status).toBe('degraded');
  expect(body.config.sequence).toBe(8);
  expect(body.workers[1]).toMatchObject({ state: 'restarting', pid: null, requests: null, config: null });
});

test('an unresponsive worker makes it degraded; no worker serving: unavailable', () => {
  const replies: StatusReply[] = [{ slot: slot(0, 'serving', 101), health: health(8, 30) }, { slot: slot(1, 'unresponsive', 102) }];
  expect(clusterHealth(cluster('serving', true), replies).status).toBe('degraded');
  const none: StatusReply[] = [{ slot: slot(0, 'restarting', undefined) }, { slot: slot(1, 'unresponsive', 102) }];
  expect(clusterHealth(cluster('serving', false), none).status).toBe('unavailable');
});

test("config comes from serving workers only: a starting worker's sequence 0 is not the laggiest", () => {
  const starting = { ...health(0, 0), state: 'starting' as const };
  const replies: StatusReply[] = [
    { slot: slot(0, 'serving', 101), health: health(8, 30) },
    { slot: slot(1, 'starting', 102), health: { ...starting, config: { ...starting.config, lastError: 'not yet', lastSuccessAt: null } } },
  ];
  const body = clusterHealth(cluster('serving', true), replies);
  expect(body.config).toMatchObject({ sequence: 8, tenants: 30, lastError: null });
  expect(body.workers[1]?.config?.sequence).toBe(0);
});

test('starting and shutting down are reported as such', () => {
  expect(clusterHealth(cluster('starting', false), []).status).toBe('starting');
  expect(clusterHealth(cluster('shutting-down', false), []).status).toBe('shutting-down');
});
