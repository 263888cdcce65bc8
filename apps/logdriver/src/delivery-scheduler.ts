import type { Logger } from '@tsp/observability';
import { scrubSecrets, secretStrings } from '@tsp/sinks-core';
import type { DeadLetterStore } from './dead-letters';
import { PipelineEvents, PipelineSettings, SinkPipeline } from './sink-pipeline';
import type { AppendResult, Spool } from './spool';
import type { TenantLogging } from './tenant-logging';

/** Logdriver-wide delivery settings (per-tenant batch and rate come from TenantLogging). */
export interface SchedulerSettings {
  retryBaseMs: number;
  retryMaxMs: number;
  sendTimeoutMs: number;
  /** Most bytes of undelivered events one tenant may hold in the spool. */
  tenantQuotaBytes: number;
  /** A tenant with nothing pending for this long has its pipelines (and sink clients) closed. */
  idleCloseMs: number;
  /** How often dead letters marked for re-drive are looked for (and housekeeping runs). */
  redrivePollMs: number;
  /** How long after a failed sink creation the tenant's pipelines are built again, ms. */
  sinkRetryMs: number;
  eventsDir: string | undefined;
  stdout: NodeJS.WritableStream;
}

interface TenantState {
  fingerprint: string;
  pipelines: Map<string, SinkPipeline>;
  /** Least advanced cursor over the tenant's pipelines. */
  minCursor: number;
  pendingEvents: number;
  pendingBytes: number;
  oldestPendingAt: number | undefined;
  idleSince: number | undefined;
  /** When a sink of the tenant could not be created (its pipelines are rebuilt a while later). */
  sinkFailedAt?: number;
}


/**
 * Runs one SinkPipeline per (tenant, sink), created when a tenant has events and closed when it
 * has been idle a while. Keeps per-tenant pending counts (for the disk quota, health and
 * metrics), rebuilds a tenant's pipelines when its logging config changes, and wakes pipelines
 * when the intake commits events or an operator marks dead letters for re-drive.
 */
export class DeliveryScheduler {
  private readonly tenants = new Map<string, TenantState>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Before start(), tenants are only counted (for the quota): no cursor changes, no pipelines. */
  private started = false;
  private rebuilding: Promise<void> = Promise.resolve();

  constructor(
    private readonly spool: Spool,
    private readonly deadLetters: DeadLetterStore,
    private readonly logging: TenantLogging,
    private readonly settings: SchedulerSettings,
    private readonly logger: Logger,
    private readonly events: Omit<PipelineEvents, 'progressed'>,
  ) {}

  /** Starts a pipeline for every tenant with events in the spool (delivery resumes after a restart). */
  start(): void {
    this.started = true;
    // States made before start only counted events: make them again, with pipelines.
    this.tenants.clear();
    for (const tenantId of this.spool.tenantIds()) this.ensure(tenantId);
    this.timer = setInterval(() => this.housekeeping(), this.settings.redrivePollMs);
    this.timer.unref();
  }

  /** Quota check for the intake: may `tenantId` store `bytes` more? */
  admit(tenantId: string, bytes: number): boolean {
    const pending = this.tenants.get(tenantId)?.pendingBytes ?? 0;
    return pending + bytes <= this.settings.tenantQuotaBytes;
  }

  /** After an intake commit: count the new events and wake their tenants' pipelines. */
  appended(result: AppendResult, now = Date.now()): void {
    for (const [tenantId, added] of result.tenants) {
      const known = this.tenants.get(tenantId);
      // A tenant new to the scheduler counts its pending events from the spool (these included).
      const t = known ?? this.ensure(tenantId);
      if (t === undefined) continue;
      if (known !== undefined) {
        t.pendingEvents += added.count;
        t.pendingBytes += added.bytes;
        t.oldestPendingAt ??= now;
      }
      t.idleSince = undefined;
      for (const p of t.pipelines.values()) p.notify(t.pendingEvents);
    }
  }

  /** After a config refresh: rebuild the pipelines of tenants whose route changed. */
  reconfigure(changedTenantIds: readonly string[]): Promise<void> {
    // Every changed tenant at once: a hanging sink of one tenant must not delay another's new
    // config. Stopping aborts sends in flight; cursors only move forward, so an old pipeline
    // finishing late cannot undo the new one's progress.
    const run = async (): Promise<void> => {
      await Promise.all(
        changedTenantIds.map(async (id) => {
          const t = this.tenants.get(id);
          if (t === undefined) return;
          this.tenants.delete(id);
          await Promise.all([...t.pipelines.values()].map((p) => p.stop()));
          if (!this.stopped && this.started && !this.tenants.has(id)) this.ensure(id);
        }),
      );
    };
    this.rebuilding = this.rebuilding.then(run, run);
    return this.rebuilding;
  }

  /** Undelivered events (counted to the least advanced sink of each tenant). */
  pendingEvents(): number {
    let n = 0;
    for (const t of this.tenants.values()) n += t.pendingEvents;
    return n;
  }

  oldestPendingAt(): number | undefined {
    let oldest: number | undefined;
    for (const t of this.tenants.values()) if (t.oldestPendingAt !== undefined && (oldest === undefined || t.oldestPendingAt < oldest)) oldest = t.oldestPendingAt;
    return oldest;
  }

  activeTenants(): number {
    return this.tenants.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.rebuilding;
    await Promise.all([...this.tenants.values()].flatMap((t) => [...t.pipelines.values()].map((p) => p.stop())));
    this.tenants.clear();
  }

  /** The tenant's state, creating its pipelines (once started). */
  private ensure(tenantId: string): TenantState | undefined {
    const existing = this.tenants.get(tenantId);
    if (existing !== undefined) return existing;
    if (!this.started) return this.counted(tenantId, 'not-started', this.spool.leastCursor(tenantId));
    const route = this.logging.route(tenantId);
    const sinkIds = route.kind === 'ok' ? route.sinks.map((s) => s.id) : [];
    // Held tenants get no cursor changes: their positions are kept for when the config is fixed.
    const cursors = route.kind === 'ok' ? this.spool.syncCursors(tenantId, sinkIds) : new Map<string, number>();
    let minCursor = Infinity;
    for (const c of cursors.values()) minCursor = Math.min(minCursor, c);
    // Held: counted from its least advanced sink, as before the config broke.
    if (minCursor === Infinity) minCursor = this.spool.leastCursor(tenantId);
    const t = this.counted(tenantId, route.fingerprint, minCursor);
    // Held (invalid logging config): no pipelines; the config loader logged why.
    if (route.kind === 'held') return t;
    for (const s of route.sinks) {
      const settings: PipelineSettings = {
        maxEvents: s.maxEvents, maxBytes: s.maxBytes, maxAgeMs: route.maxAgeMs, ratePerSecond: route.ratePerSecond, burst: route.burst,
        retryBaseMs: this.settings.retryBaseMs, retryMaxMs: this.settings.retryMaxMs, sendTimeoutMs: this.settings.sendTimeoutMs,
        secrets: secretStrings(s.config.credentials),
      };
      let sink;
      try {
        sink = s.plugin.create(s.config, { tenantId, sinkId: s.id, eventsDir: this.settings.eventsDir, stdout: this.settings.stdout });
      } catch (err) {
        const error = scrubSecrets(err instanceof Error ? err.message : String(err), secretStrings(s.config.credentials));
        this.logger.error('sink could not be created; its events wait and creation is tried again', { tenantId, sinkId: s.id, sinkType: s.plugin.type, error });
        t.sinkFailedAt = Date.now();
        continue;
      }
      const p = new SinkPipeline(tenantId, s.id, s.plugin.type, sink, settings, cursors.get(s.id) ?? minCursor, {
        spool: this.spool, deadLetters: this.deadLetters, logger: this.logger,
        events: { ...this.events, progressed: () => this.progressed(tenantId) },
      });
      t.pipelines.set(s.id, p);
      p.start();
    }
    return t;
  }

  /** A new tenant state, its pending events counted from the spool after `minCursor`. */
  private counted(tenantId: string, fingerprint: string, minCursor: number): TenantState {
    const stats = this.spool.pendingAfter(tenantId, minCursor);
    const t: TenantState = {
      fingerprint, pipelines: new Map(), minCursor, pendingEvents: stats.count, pendingBytes: stats.bytes,
      oldestPendingAt: stats.oldestCreatedAt, idleSince: stats.count === 0 ? Date.now() : undefined,
    };
    this.tenants.set(tenantId, t);
    return t;
  }

  /** A cursor moved: when the least advanced one did, the tenant's pending counts shrink. */
  private progressed(tenantId: string): void {
    const t = this.tenants.get(tenantId);
    if (t === undefined) return;
    let min = Infinity;
    for (const p of t.pipelines.values()) min = Math.min(min, p.cursor);
    if (min === Infinity || min <= t.minCursor) return;
    const gone = this.spool.between(tenantId, t.minCursor, min);
    t.pendingBytes = Math.max(0, t.pendingBytes - gone.bytes);
    t.pendingEvents = Math.max(0, t.pendingEvents - gone.count);
    t.minCursor = min;
    if (t.pendingEvents === 0) {
      t.pendingBytes = 0;
      t.oldestPendingAt = undefined;
      t.idleSince = Date.now();
    } else t.oldestPendingAt = this.spool.readAfter(tenantId, min, 1)[0]?.createdAt;
  }

  /** Wakes pipelines with dead letters to re-drive; closes tenants idle for long. */
  private housekeeping(): void {
    try {
      for (const { tenantId, sinkId } of this.deadLetters.redrivePending()) this.ensure(tenantId)?.pipelines.get(sinkId)?.redrive();
    } catch (err) {
      this.logger.warn('dead-letter re-drive check failed', { error: err instanceof Error ? err.message : String(err) });
    }
    const now = Date.now();
    const retry = [...this.tenants].filter(([, t]) => t.sinkFailedAt !== undefined && now - t.sinkFailedAt > this.settings.sinkRetryMs).map(([id]) => id);
    if (retry.length > 0) {
      void this.reconfigure(retry).catch((err: unknown) => {
        this.logger.warn('rebuilding pipelines after a failed sink creation failed', { error: err instanceof Error ? err.message : String(err) });
      });
    }
    const idle = [...this.tenants].filter(([, t]) => t.idleSince !== undefined && now - t.idleSince > this.settings.idleCloseMs).map(([id]) => id);
    if (idle.length > 0) void this.closeIdle(idle);
  }

  private async closeIdle(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const t = this.tenants.get(id);
      if (t === undefined || t.pendingEvents > 0) continue;
      this.tenants.delete(id);
      await Promise.all([...t.pipelines.values()].map((p) => p.stop()));
    }
  }
}
