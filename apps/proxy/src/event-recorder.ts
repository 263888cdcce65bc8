import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { EventIclFields, EventNotAcknowledged, EventQueue, KMS_EVENT_NAMES, KmsEventDetail, KmsOperation, NotAcknowledgedReason, SecurityEventRecord } from '@tsp/events';
import { ErrorCode, RequestMetadata, TspError } from '@tsp/tsp-protocol';
import type { StrictAuditMetrics } from './strict-audit-metrics';

/** Strict audit mode: how long a request waits for its event, and where the waits are counted. */
export interface StrictAudit {
  timeoutMs: number;
  metrics: StrictAuditMetrics;
}

/** The HTTP status of a strict audit failure: the audit trail is unavailable, retry later. */
export const STRICT_AUDIT_FAILURE_STATUS = 503;

/**
 * Turns request metadata into security events and enqueues them.
 *
 * Best effort (`kms`, `application`): never blocks, never throws, no allocation beyond the
 * event; a full queue is counted by the queue (metrics), and only the application-event route
 * reports it to the caller (301).
 *
 * Strict audit (`kmsAcknowledged`, `applicationAcknowledged`, only when built with a
 * StrictAudit): the promise resolves once the logdriver acknowledged the batch holding the event
 * and rejects with TspError 301 (HTTP 503) when that does not happen within the timeout, the
 * queue is full, or the event was dropped; callers then discard the operation's result.
 */
export class EventRecorder {
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly onEnqueue?: (category: 'kms' | 'application') => void,
    private readonly strictAudit?: StrictAudit,
  ) {}

  /** True in strict audit mode: routes must use the *Acknowledged methods for successes. */
  get strict(): boolean {
    return this.strictAudit !== undefined;
  }

  /** A unique id for each event: per-process random prefix and a counter. */
  nextRayId(): string {
    return `${this.prefix}-${(++this.counter).toString(36)}`;
  }

  kms(op: KmsOperation, meta: RequestMetadata, detail: KmsEventDetail, tenantId = meta.tenantId): void {
    this.push(this.kmsRecord(op, meta, detail, tenantId));
  }

  /** Returns false when the queue was full. */
  application(name: string, meta: RequestMetadata): boolean {
    return this.push(this.applicationRecord(name, meta));
  }

  /** Strict audit: records a kms event and resolves once it is acknowledged (see the class doc). */
  kmsAcknowledged(op: KmsOperation, meta: RequestMetadata, detail: KmsEventDetail, tenantId = meta.tenantId): Promise<void> {
    return this.acknowledged(this.kmsRecord(op, meta, detail, tenantId));
  }

  /** Strict audit: records an application event and resolves once it is acknowledged. */
  applicationAcknowledged(name: string, meta: RequestMetadata): Promise<void> {
    return this.acknowledged(this.applicationRecord(name, meta));
  }

  private kmsRecord(op: KmsOperation, meta: RequestMetadata, detail: KmsEventDetail, tenantId: string): SecurityEventRecord {
    return {
      category: 'kms',
      tenantId,
      timestampMillis: Date.now(),
      iclFields: this.icl(KMS_EVENT_NAMES[op], meta),
      customFields: meta.customFields ?? {},
      kms: detail,
    };
  }

  private applicationRecord(name: string, meta: RequestMetadata): SecurityEventRecord {
    return {
      category: 'application',
      tenantId: meta.tenantId,
      timestampMillis: typeof meta.timestampMillis === 'number' ? meta.timestampMillis : Date.now(),
      iclFields: this.icl(name, meta),
      customFields: meta.customFields ?? {},
    };
  }

  private push(e: SecurityEventRecord): boolean {
    const ok = this.queue.enqueue(e);
    if (ok) this.onEnqueue?.(e.category);
    return ok;
  }

  private acknowledged(e: SecurityEventRecord): Promise<void> {
    const strict = this.strictAudit;
    if (strict === undefined) throw new Error('EventRecorder: acknowledged events need strict audit mode');
    const started = performance.now();
    const waiting = this.queue.enqueueAndWait(e, strict.timeoutMs);
    if (waiting === false) {
      strict.metrics.failed('queue-full');
      strict.metrics.rejected(0);
      return Promise.reject(strictFailure('queue-full', strict.timeoutMs));
    }
    this.onEnqueue?.(e.category);
    return waiting.then(
      () => strict.metrics.acknowledged((performance.now() - started) / 1000),
      (err: unknown) => {
        const reason: NotAcknowledgedReason = err instanceof EventNotAcknowledged ? err.reason : 'timeout';
        strict.metrics.failed(reason);
        strict.metrics.rejected((performance.now() - started) / 1000);
        throw strictFailure(reason, strict.timeoutMs);
      },
    );
  }

  private icl(event: string, meta: RequestMetadata): EventIclFields {
    const f = meta.iclFields;
    const out: EventIclFields = { event, requestingId: f.requestingId, tspRayId: this.nextRayId() };
    if (f.dataLabel != null) out.dataLabel = f.dataLabel;
    if (f.sourceIp != null) out.sourceIp = f.sourceIp;
    if (f.objectId != null) out.objectId = f.objectId;
    if (f.requestId != null) out.requestId = f.requestId;
    return out;
  }
}

const FAILURE_MESSAGES: Record<NotAcknowledgedReason, (timeoutMs: number) => string> = {
  'queue-full': () => 'the event queue is full',
  timeout: (ms) => `the logdriver did not acknowledge the event within ${ms} ms (TSP_AUDIT_STRICT_TIMEOUT_MS)`,
  dropped: () => 'the event was dropped from the full queue while the logdriver was failing',
  closed: () => 'the proxy is shutting down',
  refused: () => 'the logdriver refused the event (the tenant is over its spool quota)',
};

/** The 301 a strict request fails with (its route discards the operation's result). */
export function strictFailure(reason: NotAcknowledgedReason, timeoutMs: number): TspError {
  return new TspError(
    ErrorCode.SecurityEventRejected,
    `Security event rejected (strict audit mode): ${FAILURE_MESSAGES[reason](timeoutMs)}`,
    STRICT_AUDIT_FAILURE_STATUS,
  );
}
