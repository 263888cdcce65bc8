/**
 * Security events as they leave the proxy. Two categories: `application` (reported by the
 * vendor's application through `event/security-event`) and `kms` (emitted by the proxy for
 * every key operation). Names of kms events are listed in KMS_EVENT_NAMES and the README.
 */
export const KMS_EVENT_NAMES = {
  wrap: 'KMS_WRAP_KEY',
  batchWrap: 'KMS_BATCH_WRAP_KEY',
  unwrap: 'KMS_UNWRAP_KEY',
  batchUnwrap: 'KMS_BATCH_UNWRAP_KEY',
  rekey: 'KMS_REKEY_KEY',
  derive: 'KMS_DERIVE_KEY',
  reportOperations: 'KMS_REPORT_OPERATIONS',
} as const;
export type KmsOperation = keyof typeof KMS_EVENT_NAMES;

export interface EventIclFields {
  event: string;
  requestingId: string;
  dataLabel?: string;
  sourceIp?: string;
  objectId?: string;
  requestId?: string;
  /** Unique id of the event, given by the proxy. */
  tspRayId: string;
  /** Id given by the logdriver at delivery: its spool's id and the event's sequence number. */
  logdriverRayId?: string;
}

/** Outcome detail of a kms event (absent on application events). */
export interface KmsEventDetail {
  kmsConfigId?: number;
  leased?: boolean;
  /** Documents in the request (batches). */
  count?: number;
  /** Documents that failed (batches) or 1 for a failed single operation. */
  failures?: number;
  /** TSP error code when the operation failed. */
  errorCode?: number;
  /** For rekey: the tenant the key moved to (on the source tenant's event) or from. */
  otherTenantId?: string;
}

export interface SecurityEventRecord {
  category: 'application' | 'kms';
  tenantId: string;
  timestampMillis: number;
  iclFields: EventIclFields;
  customFields: Record<string, string>;
  kms?: KmsEventDetail;
}

/** The reference delivered shape of tsp-api.md: RFC 3339 UTC timestamp, null fields dropped. */
export interface DeliveredEvent {
  tenantId: string;
  timestamp: string;
  iclFields: EventIclFields;
  customFields: Record<string, string>;
  kms?: KmsEventDetail;
}

export function toDeliveredEvent(e: SecurityEventRecord): DeliveredEvent {
  const out: DeliveredEvent = {
    tenantId: e.tenantId,
    timestamp: isoTimestamp(e.timestampMillis),
    iclFields: e.iclFields,
    customFields: e.customFields,
  };
  if (e.kms !== undefined) out.kms = e.kms;
  return out;
}

let lastMillis = -1;
let lastIso = '';
let lastSecond = Number.NaN;
let secondPrefix = '';
/** 10000-01-01T00:00:00Z: from there toISOString writes a six-digit signed year. */
const YEAR_10000 = 253_402_300_800_000;

/**
 * RFC 3339 UTC of a millisecond timestamp, as Date.toISOString writes it. Events come in runs of
 * the same second: the `YYYY-MM-DDTHH:MM:SS.` part is kept and only the milliseconds are added.
 */
export function isoTimestamp(millis: number): string {
  if (millis === lastMillis) return lastIso;
  const second = Math.floor(millis / 1000);
  if (millis < 0 || millis >= YEAR_10000 || !Number.isInteger(millis)) {
    lastIso = new Date(millis).toISOString();
  } else {
    if (second !== lastSecond) {
      secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
      lastSecond = second;
    }
    const ms = millis - second * 1000;
    lastIso = `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
  lastMillis = millis;
  return lastIso;
}

/** One delivered event as a JSON line, built without an intermediate object. */
export function deliveredEventLine(e: SecurityEventRecord): string {
  const kms = e.kms === undefined ? '' : `,"kms":${JSON.stringify(e.kms)}`;
  return `{"tenantId":${JSON.stringify(e.tenantId)},"timestamp":"${isoTimestamp(e.timestampMillis)}","iclFields":${JSON.stringify(e.iclFields)},"customFields":${JSON.stringify(e.customFields)}${kms}}\n`;
}
