import { randomBytes } from 'node:crypto';
import { EventIclFields, EventQueue, KMS_EVENT_NAMES, KmsEventDetail, KmsOperation, SecurityEventRecord } from '@tsp/events';
import type { RequestMetadata } from '@tsp/tsp-protocol';

/**
 * Turns request metadata into security events and enqueues them. Never blocks, never throws:
 * a full queue is counted by the queue (metrics), and only the application-event route
 * reports it to the caller (301).
 */
export class EventRecorder {
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;

  constructor(private readonly queue: EventQueue, private readonly onEnqueue?: (category: 'kms' | 'application') => void) {}

  /** A unique id for each event: per-process random prefix and a counter. */
  nextRayId(): string {
    return `${this.prefix}-${(++this.counter).toString(36)}`;
  }

  kms(op: KmsOperation, meta: RequestMetadata, detail: KmsEventDetail, tenantId = meta.tenantId): void {
    this.push({
      category: 'kms',
      tenantId,
      timestampMillis: Date.now(),
      iclFields: this.icl(KMS_EVENT_NAMES[op], meta),
      customFields: meta.customFields ?? {},
      kms: detail,
    });
  }

  /** Returns false when the queue was full. */
  application(name: string, meta: RequestMetadata): boolean {
    return this.push({
      category: 'application',
      tenantId: meta.tenantId,
      timestampMillis: typeof meta.timestampMillis === 'number' ? meta.timestampMillis : Date.now(),
      iclFields: this.icl(name, meta),
      customFields: meta.customFields ?? {},
    });
  }

  private push(e: SecurityEventRecord): boolean {
    const ok = this.queue.enqueue(e);
    if (ok) this.onEnqueue?.(e.category);
    return ok;
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
