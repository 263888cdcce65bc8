import cluster, { Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@tsp/observability';
import { isWorkerMessage, PrimaryMessage, WorkerHealth, WorkerMessage } from './cluster-messages';
import type { ProxyConfig } from './proxy-config';
import { workerEnvironment } from './worker-env';
import { WorkerMetricsCache } from './worker-metrics-cache';

/** A worker slot as the primary sees it. */
export type SlotState = 'starting' | 'serving' | 'unresponsive' | 'stopping' | 'restarting' | 'stopped';

export const SLOT_STATES: readonly SlotState[] = ['serving', 'starting', 'unresponsive', 'stopping', 'restarting', 'stopped'];

export interface WorkerSlot {
  readonly index: number;
  state: SlotState;
  /** The running worker's pid; undefined while the slot has none. */
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
}

export interface WorkerClusterOptions {
  config: ProxyConfig;
  logger: Logger;
  workers: number;
  /** Delay before the first restart of a slot, doubled per consecutive failure up to maxRestartDelayMs. */
  firstRestartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** The timing constants below, shortened by tests only. */
  stableMs?: number;
  pingIntervalMs?: number;
  unresponsiveAfterMs?: number;
  killUnresponsiveAfterMs?: number;
  /**
   * The primary's environment: main.ts passes process.env (a spec passes a copy with more
   * variables). cluster.fork merges it over process.env, so the workers get process.env (and
   * whatever `env` adds) minus every setting named in `env` (worker-env.ts: TSP_*, API_KEY*,
   * LOGDRIVER_URL). It must therefore hold at least every variable of process.env.
   */
  env: Readonly<Record<string, string | undefined>>;
}

/** A worker that served this long before dying restarts after the first delay again. */
const STABLE_MS = 10_000;
/** The primary pings every worker this often. */
const PING_INTERVAL_MS = 1000;
/** A worker silent this long (about three missed pings) is unresponsive: not counted as serving. */
const UNRESPONSIVE_AFTER_MS = 3500;
/** A worker silent this long is killed (SIGKILL) and so restarted. */
const KILL_UNRESPONSIVE_AFTER_MS = 30_000;
/**
 * Silence is judged only once this many pings, each sent on an earlier tick (so at least one
 * interval old), went unanswered: a worker is never judged on time in which it was not asked.
 */
const UNANSWERED_PINGS = 3;
/**
 * A ping tick this late (in ping intervals) means the primary's own event loop did not run
 * (stopped process group, paused container, suspended VM, a long synchronous task): the
 * workers' answers are still unread in the IPC channel, so the silence is not theirs.
 */
const STALLED_TICK_FACTOR = 2;

/** TSP_WORKERS's maximum, also for the count resolved from the CPUs. */
export const MAX_WORKERS = 64;

/** TSP_WORKERS, with 0 resolved to the usable CPUs (at most MAX_WORKERS). */
export function resolveWorkerCount(configured: number, usableCpus: () => number): number {
  return configured > 0 ? configured : Math.max(1, Math.min(MAX_WORKERS, usableCpus()));
}

/**
 * The supervisor's shutdown deadline: 500 ms short of TSP_SHUTDOWN_TIMEOUT_MS (at least half of
 * it), so that it, not runService's timer (which exits at once), kills late workers and lets the
 * health server close.
 */
export function supervisorDeadlineMs(shutdownTimeoutMs: number): number {
  return Math.max(Math.floor(shutdownTimeoutMs / 2), shutdownTimeoutMs - 500);
}

interface SlotRuntime {
  worker: Worker | undefined;
  servingSince: number | undefined;
  consecutiveFailures: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** The worker said hello: it listens for messages (pings) from then on. */
  saidHello: boolean;
  /** When (monotonic clock, performance.now()) the primary last heard from the worker (any message). */
  lastHeardAt: number;
  /** Pings sent since the primary last heard from the worker. */
  unansweredPings: number;
  /** The state to go back to when an unresponsive worker answers again. */
  resumeState: SlotState;
  killedUnresponsive: boolean;
}

type StatusMessage = Extract<WorkerMessage, { type: 'tsp:status' }>;

/** Monotonic milliseconds: silence and backoff are never judged by the wall clock, which jumps. */
const monotonicMs = (): number => performance.now();

/**
 * The primary of the proxy's cluster (TSP_WORKERS >= 2): forks the workers (node:cluster; they
 * share the API port, connections handed out round-robin) without the settings in their
 * environment, hands each the validated config over IPC, tracks which serve, pings each about
 * every second (one silent for 3.5 s, with three pings unanswered, is `unresponsive`; for 30 s
 * is killed and so restarted; a tick delayed because the primary itself stalled judges no one),
 * restarts one that dies with an exponential backoff (logged at error, without secrets), keeps
 * the last metrics of each (worker-metrics-cache.ts) and drains them all on shutdown. It serves
 * no API request itself. The first generation failing to start is fatal, as a single process
 * failing to start is.
 */
export class WorkerCluster {
  state: ClusterState = 'starting';
  apiPort = 0;
  restartsTotal = 0;
  readonly metrics: WorkerMetricsCache;
  private readonly slots: WorkerSlot[] = [];
  private readonly run: SlotRuntime[] = [];
  private readonly byWorkerId = new Map<number, number>();
  private readonly pendingStatus = new Map<string, (m: StatusMessage) => void>();
  private messageId = 0;
  private started: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private stopped: (() => void) | undefined;
  /** Workers that exited non-zero (or by a signal) while draining. */
  private failedDrains = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  /** When (monotonic) the ping timer last fired. */
  private lastTickAt = 0;
  private readonly onMessageListener = (worker: Worker, m: unknown): void => this.onMessage(worker, m);
  private readonly onExitListener = (worker: Worker, code: number | null, signal: string | null): void => this.onExit(worker, code, signal);
  private readonly t: { first: number; max: number; stable: number; ping: number; unresponsive: number; kill: number };

  constructor(private readonly opts: WorkerClusterOptions) {
    this.t = {
      first: opts.firstRestartDelayMs ?? 250,
      max: opts.maxRestartDelayMs ?? 30_000,
      stable: opts.stableMs ?? STABLE_MS,
      ping: opts.pingIntervalMs ?? PING_INTERVAL_MS,
      unresponsive: opts.unresponsiveAfterMs ?? UNRESPONSIVE_AFTER_MS,
      kill: opts.killUnresponsiveAfterMs ?? KILL_UNRESPONSIVE_AFTER_MS,
    };
    this.metrics = new WorkerMetricsCache(opts.workers);
    for (let index = 0; index < opts.workers; index++) {
      this.slots.push({ index, state: 'starting', pid: undefined, restarts: 0, lastExit: undefined, lastFailure: undefined });
      this.run.push({ worker: undefined, servingSince: undefined, consecutiveFailures: 0, restartTimer: undefined, saidHello: false, lastHeardAt: 0, unansweredPings: 0, resumeState: 'starting', killedUnresponsive: false });
    }
  }

  /** Forks every worker; resolves when all serve, rejects when one fails to start. */
  start(): Promise<void> {
    cluster.on('message', this.onMessageListener);
    cluster.on('exit', this.onExitListener);
    this.lastTickAt = monotonicMs();
    this.pingTimer = setInterval(() => this.pingAll(), this.t.ping);
    this.pingTimer.unref();
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /** Every slot's state, for health. */
  snapshot(): readonly Readonly<WorkerSlot>[] {
    return this.slots.map((s) => ({ ...s }));
  }

  /**
   * Ready (takes traffic): not shutting down, every worker has served once since the start (a
   * fresh pod gets traffic only when fully up), and at least one worker serves now (while a
   * worker restarts, or hangs, the pod serves at reduced capacity).
   */
  ready(): boolean {
    return this.state === 'serving' && this.slots.some((s) => s.state === 'serving');
  }

  /**
   * Each slot's health from the workers that answer within `timeoutMs` (an unresponsive one is
   * not asked); with `withMetrics`, each answer's metrics update `metrics` (the cache).
   */
  async status(withMetrics: boolean, timeoutMs: number): Promise<StatusReply[]> {
    return Promise.all(
      this.slots.map(async (slot, i): Promise<StatusReply> => {
        const worker = this.run[i]?.worker;
        if (worker === undefined || !worker.isConnected() || slot.state === 'unresponsive') return { slot: { ...slot } };
        const id = ++this.messageId;
        const key = `${worker.id}:${id}`;
        const reply = await new Promise<StatusMessage | undefined>((resolve) => {
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
        return { slot: { ...slot }, ...(reply !== undefined ? { health: reply.health } : {}) };
      }),
    );
  }

  /** Whether the slot's worker serves now (its config counts in the aggregate). */
  isServing(index: number): boolean {
    return this.slots[index]?.state === 'serving';
  }

  /**
   * Asks every worker to drain (stop accepting, finish in-flight requests, flush its events) and
   * resolves when all exited; after `timeoutMs` kills the rest and rejects.
   */
  shutdown(timeoutMs: number): Promise<void> {
    this.state = 'shutting-down';
    clearInterval(this.pingTimer);
    for (const r of this.run) {
      if (r.restartTimer !== undefined) clearTimeout(r.restartTimer);
      r.restartTimer = undefined;
    }
    for (const slot of this.slots) if (slot.state === 'restarting') slot.state = 'stopped';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.killAll();
        this.detach();
        reject(new Error('workers did not finish within the shutdown deadline: killed'));
      }, timeoutMs);
      timer.unref();
      this.stopped = () => {
        clearTimeout(timer);
        this.detach();
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

  private detach(): void {
    clearInterval(this.pingTimer);
    cluster.off('message', this.onMessageListener);
    cluster.off('exit', this.onExitListener);
  }

  private fork(slot: WorkerSlot): void {
    const r = this.run[slot.index];
    if (r === undefined) return;
    r.restartTimer = undefined;
    r.servingSince = undefined;
    r.saidHello = false;
    r.killedUnresponsive = false;
    r.lastHeardAt = monotonicMs();
    r.unansweredPings = 0;
    slot.state = 'starting';
    const worker = cluster.fork(workerEnvironment(this.opts.env));
    r.worker = worker;
    slot.pid = worker.process.pid;
    this.byWorkerId.set(worker.id, slot.index);
  }

  private send(worker: Worker, m: PrimaryMessage): void {
    if (!worker.isConnected()) return;
    // The callback swallows EPIPE from a worker that died meanwhile (its exit is handled).
    worker.send(m, undefined, () => undefined);
  }

  /**
   * Pings each worker that listens; marks the silent unresponsive, kills the long silent. Silent
   * means: nothing heard for the time given AND the last UNANSWERED_PINGS pings unanswered, each
   * sent on an earlier tick. When this tick comes late (the primary's event loop did not run:
   * the timers run before the IPC messages that waited meanwhile are read), every worker's
   * silence starts over and no one is judged this tick.
   */
  private pingAll(): void {
    if (this.state === 'shutting-down') return;
    const now = monotonicMs();
    const gapMs = now - this.lastTickAt;
    this.lastTickAt = now;
    const stalled = gapMs > STALLED_TICK_FACTOR * this.t.ping;
    if (stalled) this.opts.logger.warn('proxy supervisor stalled; worker silence not judged this tick', { stalledMs: Math.round(gapMs) });
    for (const slot of this.slots) {
      const r = this.run[slot.index];
      const worker = r?.worker;
      if (r === undefined || worker === undefined || !r.saidHello) continue;
      if (stalled) {
        r.lastHeardAt = now;
        r.unansweredPings = 0;
      }
      const silentMs = Math.round(now - r.lastHeardAt);
      const judged = !stalled && r.unansweredPings >= UNANSWERED_PINGS;
      if (judged && silentMs >= this.t.kill && !r.killedUnresponsive) {
        r.killedUnresponsive = true;
        this.opts.logger.error('proxy worker unresponsive; killing it', { worker: slot.index, pid: slot.pid, silentMs });
        if (slot.pid !== undefined) {
          try {
            process.kill(slot.pid, 'SIGKILL');
          } catch {
            /* gone already: its exit is handled */
          }
        }
        continue;
      }
      if (judged && silentMs >= this.t.unresponsive && (slot.state === 'serving' || slot.state === 'starting')) {
        r.resumeState = slot.state;
        slot.state = 'unresponsive';
        this.opts.logger.warn('proxy worker unresponsive', { worker: slot.index, pid: slot.pid, silentMs, unansweredPings: r.unansweredPings });
      }
      this.send(worker, { type: 'tsp:ping', id: ++this.messageId });
      r.unansweredPings++;
    }
  }

  private slotOf(worker: Worker): { slot: WorkerSlot; r: SlotRuntime } | undefined {
    const i = this.byWorkerId.get(worker.id);
    const slot = i === undefined ? undefined : this.slots[i];
    const r = i === undefined ? undefined : this.run[i];
    return slot === undefined || r === undefined || r.worker !== worker ? undefined : { slot, r };
  }

  private onMessage(worker: Worker, m: unknown): void {
    if (!isWorkerMessage(m)) return;
    const found = this.slotOf(worker);
    if (found !== undefined) this.heard(found.slot, found.r);
    if (m.type === 'tsp:status') {
      if (found !== undefined && m.metrics !== undefined) this.metrics.update(found.slot.index, m.metrics);
      this.pendingStatus.get(`${worker.id}:${m.id}`)?.(m);
      return;
    }
    if (found === undefined || m.type === 'tsp:pong') return;
    const { slot, r } = found;
    switch (m.type) {
      case 'tsp:hello':
        r.saidHello = true;
        if (this.state === 'shutting-down') this.send(worker, { type: 'tsp:shutdown' });
        else this.send(worker, { type: 'tsp:config', index: slot.index, config: this.opts.config });
        break;
      case 'tsp:serving':
        if (this.state === 'shutting-down') break;
        slot.state = 'serving';
        r.servingSince = monotonicMs();
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

  /** Any message: the worker's event loop runs; an unresponsive worker is back. */
  private heard(slot: WorkerSlot, r: SlotRuntime): void {
    r.lastHeardAt = monotonicMs();
    r.unansweredPings = 0;
    if (slot.state === 'unresponsive') {
      slot.state = r.resumeState;
      this.opts.logger.info('proxy worker responsive again', { worker: slot.index, pid: slot.pid });
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const found = this.slotOf(worker);
    this.byWorkerId.delete(worker.id);
    if (found === undefined) return;
    const { slot, r } = found;
    const pid = slot.pid;
    r.worker = undefined;
    slot.pid = undefined;
    slot.lastExit = { code, signal, at: new Date().toISOString() };
    this.metrics.retire(slot.index);
    if (this.state === 'shutting-down') {
      // A worker that never got its config exits 0 too; anything else is a failed drain, except
      // the exit of one killed as unresponsive before the shutdown began (logged at that kill).
      if (r.killedUnresponsive) this.opts.logger.warn('proxy worker killed as unresponsive exited during shutdown', { worker: slot.index, pid, code, signal });
      else if (code !== 0) this.failedDrains++;
      slot.state = 'stopped';
      this.checkAllStopped();
      return;
    }
    if (this.state === 'starting' && slot.restarts === 0) {
      // The first generation: failing to start is fatal, with the worker's own message.
      slot.state = 'stopped';
      const why = r.killedUnresponsive ? `worker ${slot.index} did not answer for ${this.t.kill} ms during startup: killed` : undefined;
      this.started?.reject(new Error(slot.lastFailure ?? why ?? `worker ${slot.index} exited during startup (code ${String(code)}, signal ${String(signal)})`));
      return;
    }
    const stable = r.servingSince !== undefined && monotonicMs() - r.servingSince >= this.t.stable;
    r.consecutiveFailures = stable ? 0 : r.consecutiveFailures + 1;
    const delay = Math.min(this.t.max, this.t.first * 2 ** Math.max(0, r.consecutiveFailures - 1));
    slot.state = 'restarting';
    slot.restarts++;
    this.restartsTotal++;
    this.opts.logger.error('proxy worker exited unexpectedly; restarting', {
      worker: slot.index,
      pid,
      code,
      signal,
      restartInMs: delay,
      restarts: slot.restarts,
      ...(r.killedUnresponsive ? { reason: 'unresponsive' } : {}),
      ...(slot.lastFailure !== undefined && r.servingSince === undefined ? { error: slot.lastFailure } : {}),
    });
    r.restartTimer = setTimeout(() => this.fork(slot), delay);
  }

  private checkAllStopped(): void {
    if (this.state === 'shutting-down' && this.run.every((r) => r.worker === undefined)) this.stopped?.();
  }
}
