import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PrimaryMessage, WorkerMessage } from './cluster-messages';

/**
 * A stand-in proxy worker for worker-cluster.spec.ts (bundled by the spec, run by node:cluster):
 * it speaks the cluster protocol (hello, config, serving, status, ping, shutdown) like
 * proxy-worker.ts but serves nothing. What it does comes from `slot-<index>.json` in
 * WORKER_FIXTURE_DIR, read when its config arrives, so a test changes what the next worker of
 * a slot does by rewriting the file:
 * - serveAfterMs: report serving after this delay (default 0)
 * - failStart: report this startup failure and exit 1 instead of serving
 * - exitAfterMs / exitCode: exit (code, default 1) this long after serving
 * - stopAfterMs: SIGSTOP itself this long after serving (a hung worker)
 * - onShutdown: 'drain' (default: exit 0), 'crash' (exit 3), 'hang' (ignore the request)
 */
interface Behaviour {
  serveAfterMs?: number;
  failStart?: string;
  exitAfterMs?: number;
  exitCode?: number;
  stopAfterMs?: number;
  onShutdown?: 'drain' | 'crash' | 'hang';
}

const send = (m: WorkerMessage): void => {
  if (process.connected) process.send?.(m, undefined, {}, () => undefined);
};

function behaviourOf(index: number): Behaviour {
  const dir = process.env['WORKER_FIXTURE_DIR'] ?? '';
  try {
    return JSON.parse(readFileSync(path.join(dir, `slot-${index}.json`), 'utf8')) as Behaviour;
  } catch {
    return {};
  }
}

let behaviour: Behaviour = {};
let requests = 0;

process.on('message', (m: PrimaryMessage) => {
  if (m.type === 'tsp:ping') {
    send({ type: 'tsp:pong', id: m.id });
  } else if (m.type === 'tsp:config') {
    behaviour = behaviourOf(m.index);
    if (behaviour.failStart !== undefined) {
      send({ type: 'tsp:failed', phase: 'config', message: behaviour.failStart });
      setTimeout(() => process.exit(1), 20);
      return;
    }
    setTimeout(() => {
      send({ type: 'tsp:serving', apiPort: 4321 });
      if (behaviour.exitAfterMs !== undefined) setTimeout(() => process.exit(behaviour.exitCode ?? 1), behaviour.exitAfterMs);
      if (behaviour.stopAfterMs !== undefined) setTimeout(() => process.kill(process.pid, 'SIGSTOP'), behaviour.stopAfterMs);
    }, behaviour.serveAfterMs ?? 0);
  } else if (m.type === 'tsp:shutdown') {
    if (behaviour.onShutdown === 'hang') return;
    send({ type: 'tsp:stopping' });
    setTimeout(() => process.exit(behaviour.onShutdown === 'crash' ? 3 : 0), 20);
  } else if (m.type === 'tsp:status') {
    requests++;
    const config = { sequence: 1, tenants: 1, invalidTenants: 0, lastSuccessAt: null, lastError: null, consecutiveFailures: 0 };
    const metrics = [{ name: 'fixture_status_requests_total', help: 'status requests answered', type: 'counter', aggregator: 'sum', values: [{ value: requests, labels: {} }] }];
    send({ type: 'tsp:status', id: m.id, health: { state: 'serving', config, events: { queueDepth: 0, dropped: 0 }, requests }, ...(m.metrics ? { metrics } : {}) });
  }
});
process.on('SIGINT', () => undefined);
send({ type: 'tsp:hello' });
