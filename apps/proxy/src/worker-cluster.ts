import cluster, { Worker } from 'node:cluster';
import type { Logger } from '@tsp/observability';
import { isWorkerMessage, PrimaryMessage, WorkerHealth, WorkerMessage } from './cluster-messages';
import type { ProxyConfig } from './proxy-config';

/** A worker slot as the primary sees it. */
export type SlotState = 'starting' | 'serving' | 'stopping' | 'restarting' | 'stopped';

export interface WorkerSlot {
  readonly index: number;
  state: SlotState;
  pid: number | undefined;
  /** Restarts of this slot after an unexpected exit. */
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | undefined;
  /** The last startup failure a worker of this slot reported (a config or start error message). */
  lastFailure: string | undefined;
}

export type ClusterState = 'starting' | 'serving' | 'shutting-down';

export interface StatusReply {
  slot: Readonly<WorkerSlot>;
  /** Undefined when the slot has no running worker or it did not answer in time. */
  health?: WorkerHealth;
  metrics?: object[];
}

export interface WorkerClusterOptions {
  config: ProxyConfig;
  logger: Logger;
  workers: number;
  /** Delay before the first restart of a slot, doubled per consecutive failure up to maxRestartDelayMs. */
  firstRestartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** A worker that served this long before dying restarts after the first delay again. */
const STABLE_MS = 10_000;

interface SlotRuntime {
  worker: Worker | undefined;
  servingSince: number | undefined;
  consecutiveFailures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * The primary of the proxy's cluster (TSP_WORKERS >= 2): forks the workers (node:cluster; they
 * share the API port, connections handed out round-robin), hands each the validated config over
 * IPC, tracks which serve, restarts one that dies with an exponential backoff (logged at error,
 * without secrets), and drains them all on shutdown. It serves no API request itself.
 * The first generation failing to start is fatal, as a single process failing to start is.
 */
export class WorkerCluster {
  state: ClusterState = 'starting';
  apiPort = 0;
  restartsTotal = 0;
  private readonly slots: WorkerSlot[] = [];
  private readonly run: SlotRuntime[] = [];
  private readonly byWorkerId = new Map<number, number>();
  private readonly pendingStatus = new Map<string, (m: Extract<WorkerMessage, { type: 'tsp:status' }>) => void>();
  private statusId = 0;
  private started: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private stopped: (() => void) | undefined;
  /** Workers that exited non-zero (or by a signal) while draining. */
  private failedDrains = 0;
  private readonly firstDelay: number;
  private readonly maxDelay: number;

  constructor(private readonly opts: WorkerClusterOptions) {
    this.firstDelay = opts.firstRestartDelayMs ?? 250;
    this.maxDelay = opts.maxRestartDelayMs ?? 30_000;
    for (let index = 0; index < opts.workers; index++) {
      this.slots.push({ index, state: 'starting', pid: undefined, restarts: 0, lastExit: undefined, lastFailure: undefined });
      this.run.push({ worker: undefined, servingSince: undefined, consecutiveFailures: 0, restartTimer: undefined });
    }
  }

  /** Forks every worker; resolves when all serve, rejects when one fails to start. */
  start(): Promise<void> {
    cluster.on('message', (worker, m: unknown) => this.onMessage(worker, m));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /** Every slot's state, for health. */
  snapshot(): readonly Readonly<WorkerSlot>[] {
    return this.slots.map((s) => ({ ...s }));
  }

  /** Ready: not shutting down and every worker serving. */
  ready(): boolean {
    return this.state !== 'shutting-down' && this.slots.every((s) => s.state === 'serving');
  }

  /** Each slot's health (and metrics JSON when asked), from the workers that answer within `timeoutMs`. */
  async status(withMetrics: boolean, timeoutMs: number): Promise<StatusReply[]> {
    return Promise.all(
      this.slots.map(async (slot, i): Promise<StatusReply> => {
        const worker = this.run[i]?.worker;
        if (worker === undefined || !worker.isConnected()) return { slot: { ...slot } };
        const id = ++this.statusId;
        const key = `${worker.id}:${id}`;
        const reply = await new Promise<Extract<WorkerMessage, { type: 'tsp:status' }> | undefined>((resolve) => {
          const timer = setTimeout(() => {
            this.pendingStatus.delete(key);
            resolve(undefined);
          }, timeoutMs);
          this.pendingStatus.set(key, (m) => {
            clearTimeout(timer);
            this.pendingStatus.delete(key);
            resolve(m);
          });
          this.send(worker, { type: 'tsp:status', id, metrics: withMetrics });
        });
        return { slot: { ...slot }, ...(reply !== undefined ? { health: reply.health, ...(reply.metrics !== undefined ? { metrics: reply.metrics } : {}) } : {}) };
      }),
    );
  }

  /**
   * Asks every worker to drain (stop accepting, finish in-flight requests, flush its events) and
   * resolves when all exited; after `timeoutMs` kills the rest and rejects.
   */
  shutdown(timeoutMs: number): Promise<void> {
    this.state = 'shutting-down';
    for (const r of this.run) {
      if (r.restartTimer !== undefined) clearTimeout(r.restartTimer);
      r.restartTimer = undefined;
    }
    for (const slot of this.slots) if (slot.state === 'restarting') slot.state = 'stopped';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.killAll();
        reject(new Error('workers did not finish within TSP_SHUTDOWN_TIMEOUT_MS: killed'));
      }, timeoutMs);
      timer.unref();
      this.stopped = () => {
        clearTimeout(timer);
        if (this.failedDrains > 0) reject(new Error(`${this.failedDrains} worker(s) did not shut down cleanly`));
        else resolve();
      };
      for (const r of this.run) if (r.worker !== undefined) this.send(r.worker, { type: 'tsp:shutdown' });
      this.checkAllStopped();
    });
  }

  /** SIGKILL to every worker still running (by its own pid); safe in a process 'exit' handler. */
  killAll(): void {
    for (const r of this.run) {
      const pid = r.worker?.process.pid;
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private fork(slot: WorkerSlot): void {
    const r = this.run[slot.index];
    if (r === undefined) return;
    r.restartTimer = undefined;
    r.servingSince = undefined;
    slot.state = 'starting';
    const worker = cluster.fork();
    r.worker = worker;
    slot.pid = worker.process.pid;
    this.byWorkerId.set(worker.id, slot.index);
  }

  private send(worker: Worker, m: PrimaryMessage): void {
    if (!worker.isConnected()) return;
    // The callback swallows EPIPE from a worker that died meanwhile (its exit is handled).
    worker.send(m, undefined, () => undefined);
  }

  private slotOf(worker: Worker): { slot: WorkerSlot; r: SlotRuntime } | undefined {
    const i = this.byWorkerId.get(worker.id);
    const slot = i === undefined ? undefined : this.slots[i];
    const r = i === undefined ? undefined : this.run[i];
    return slot === undefined || r === undefined || r.worker !== worker ? undefined : { slot, r };
  }

  private onMessage(worker: Worker, m: unknown): void {
    if (!isWorkerMessage(m)) return;
    if (m.type === 'tsp:status') {
      this.pendingStatus.get(`${worker.id}:${m.id}`)?.(m);
      return;
    }
    const found = this.slotOf(worker);
    if (found === undefined) return;
    const { slot, r } = found;
    switch (m.type) {
      case 'tsp:hello':
        if (this.state === 'shutting-down') this.send(worker, { type: 'tsp:shutdown' });
        else this.send(worker, { type: 'tsp:config', index: slot.index, config: this.opts.config });
        break;
      case 'tsp:serving':
        if (this.state === 'shutting-down') break;
        slot.state = 'serving';
        r.servingSince = Date.now();
        this.apiPort = m.apiPort;
        if (slot.restarts > 0) this.opts.logger.info('proxy worker serving again', { worker: slot.index, pid: slot.pid, restarts: slot.restarts });
        if (this.state === 'starting' && this.slots.every((s) => s.state === 'serving')) {
          this.state = 'serving';
          this.started?.resolve();
        }
        break;
      case 'tsp:stopping':
        if (slot.state === 'serving' || slot.state === 'starting') slot.state = 'stopping';
        break;
      case 'tsp:failed':
        slot.lastFailure = m.message;
        break;
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const found = this.slotOf(worker);
    this.byWorkerId.delete(worker.id);
    if (found === undefined) return;
    const { slot, r } = found;
    r.worker = undefined;
    slot.lastExit = { code, signal, at: new Date().toISOString() };
    if (this.state === 'shutting-down') {
      // A worker that never got its config exits 0 too; anything else is a failed drain.
      if (code !== 0) this.failedDrains++;
      slot.state = 'stopped';
      this.checkAllStopped();
      return;
    }
    if (this.state === 'starting' && slot.restarts === 0) {
      // The first generation: failing to start is fatal, with the worker's own message.
      slot.state = 'stopped';
      this.started?.reject(new Error(slot.lastFailure ?? `worker ${slot.index} exited during startup (code ${String(code)}, signal ${String(signal)})`));
      return;
    }
    const stable = r.servingSince !== undefined && Date.now() - r.servingSince >= STABLE_MS;
    r.consecutiveFailures = stable ? 0 : r.consecutiveFailures + 1;
    const delay = Math.min(this.maxDelay, this.firstDelay * 2 ** Math.max(0, r.consecutiveFailures - 1));
    slot.state = 'restarting';
    slot.restarts++;
    this.restartsTotal++;
    this.opts.logger.error('proxy worker exited unexpectedly; restarting', {
      worker: slot.index,
      pid: slot.pid,
      code,
      signal,
      restartInMs: delay,
      restarts: slot.restarts,
      ...(slot.lastFailure !== undefined && r.servingSince === undefined ? { error: slot.lastFailure } : {}),
    });
    r.restartTimer = setTimeout(() => this.fork(slot), delay);
  }

  private checkAllStopped(): void {
    if (this.state === 'shutting-down' && this.run.every((r) => r.worker === undefined)) this.stopped?.();
  }
}
