import type { AdminEventRecord, BrokerRepository } from '@tsp/broker-store';
import type { EventChannel, SecurityEventRecord } from '@tsp/events';
import type { Logger } from '@tsp/observability';

export interface AdminEventForwarderOptions {
  repo: BrokerRepository;
  /** The logdriver's intake (HttpEventChannel) or stdout (StreamEventChannel) when none is set. */
  channel: EventChannel;
  logger: Logger;
  /** How often the outbox is looked at when nothing wakes the forwarder, ms (default 1000). */
  pollIntervalMs?: number;
  /** Most events per send (default 500). */
  maxBatch?: number;
  /** Longest pause after failed sends, ms (default 30 s). */
  maxBackoffMs?: number;
}

/** The broker itself is the requesting service of admin events. */
const REQUESTING_ID = 'tsp-config-broker';

/**
 * An admin change's outbox row as a security event of the tenant (category 'application', like
 * events the vendor's application reports): event ADMIN_*, requestingId the broker, customFields
 * the actor and what changed (strings only; never a secret: the store builds them so). The
 * tspRayId is derived from the outbox row, so a batch re-sent after a lost answer is de-duplicated
 * by the logdriver.
 */
export function adminSecurityEvent(r: AdminEventRecord): SecurityEventRecord {
  const customFields: Record<string, string> = { actorKind: r.actor.kind, actorId: r.actor.id };
  for (const [k, v] of Object.entries(r.details)) customFields[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const at = Date.parse(r.at);
  return {
    category: 'application',
    tenantId: r.tenantId,
    timestampMillis: Number.isFinite(at) ? at : Date.now(),
    iclFields: { event: r.event, requestingId: REQUESTING_ID, tspRayId: `broker-admin-${r.id}-${Number.isFinite(at) ? at : 0}` },
    customFields,
  };
}

/**
 * Delivers the admin-event outbox (written in the same transaction as each change) to the
 * tenants' logging, oldest first: a batch is removed from the outbox only after the channel took
 * it (for the logdriver: after its durable commit), so a crash re-sends rather than loses.
 * Failed sends back off exponentially with jitter; events the logdriver refuses (tenant over its
 * quota) are dropped, counted and logged by count only. Woken by notify() after every admin write,
 * else every pollIntervalMs.
 */
export class AdminEventForwarder {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;
  /** Events delivered / refused since start (tests and logs). */
  readonly counts = { delivered: 0, refused: 0, failedSends: 0 };

  constructor(private readonly opts: AdminEventForwarderOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something was written: look at the outbox now. */
  notify(): void {
    if (this.stopped) return;
    if (this.running !== undefined) this.again = true;
    else if (this.failures === 0) this.schedule(0);
  }

  /** Stops polling; one last pass delivers what it can (bounded by the channel's timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.pass().catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        while ((await this.pass()) === this.batchSize()) {
          /* a full batch: there may be more */
        }
      } while (this.again && !this.stopped);
      this.failures = 0;
      this.schedule(this.opts.pollIntervalMs ?? 1000);
    } catch (e) {
      this.failures++;
      this.counts.failedSends++;
      const cap = this.opts.maxBackoffMs ?? 30_000;
      const delay = Math.random() * Math.min(cap, 500 * 2 ** Math.min(this.failures, 16));
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.opts.logger.warn('admin events could not be delivered; retrying', { failures: this.failures, errorName: (e as Error).name, error: (e as Error).message });
      }
      this.schedule(delay);
    }
  }

  private batchSize(): number {
    return this.opts.maxBatch ?? 500;
  }

  /** Sends one batch; returns how many outbox rows it handled. */
  private async pass(): Promise<number> {
    const rows = await this.opts.repo.pendingAdminEvents(this.batchSize());
    if (rows.length === 0) return 0;
    const events = rows.map(adminSecurityEvent);
    const result = await this.opts.channel.send(events);
    const refused = result?.refused.length ?? 0;
    if (refused > 0) this.opts.logger.warn('admin events refused by the logdriver (tenant over its spool quota): dropped', { refused });
    await this.opts.repo.ackAdminEvents(rows.map((r) => r.id));
    this.counts.delivered += rows.length - refused;
    this.counts.refused += refused;
    return rows.length;
  }
}
