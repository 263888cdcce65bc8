import type { SinkEvent } from '@tsp/sinks-core';
import type { GclSettings } from './gcl-config';

/**
 * How a batch becomes one entries:write request (docs/sinks/google-cloud-logging.md):
 *   logName      projects/P/logs/<url-encoded logId>, resource and labels {tenantId} on the request
 *   jsonPayload  the delivered object (SinkEvent.json parsed), as a google.protobuf.Struct
 *   timestamp    the event's timestampMillis
 *   insertId     the event's tspRayId: Cloud Logging drops an entry with the insertId and
 *                timestamp of one it already has, so a redelivered batch does not duplicate
 *   severity     settings.severity (NOTICE unless set)
 * Cloud Logging refuses an entry over 256 KB: such an entry is not sent, and is reported as a
 * failed item (reject) of the batch.
 */
export const MAX_ENTRY_BYTES = 256 * 1024;
/** Room kept per entry for what the request adds around the payload (names, timestamp, ids). */
const ENTRY_OVERHEAD_BYTES = 1024;

/** google.protobuf.Value / Struct in the SDK's object form. */
export type ProtoValue =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: ProtoStruct }
  | { listValue: { values: ProtoValue[] } };
export interface ProtoStruct {
  fields: Record<string, ProtoValue>;
}

export function toProtoValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toProtoValue) } };
  if (typeof v === 'object') return { structValue: toProtoStruct(v as Record<string, unknown>) };
  return { stringValue: String(v) };
}

export function toProtoStruct(o: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) fields[k] = toProtoValue(v);
  return { fields };
}

export interface LogEntryInput {
  insertId: string;
  timestamp: { seconds: number; nanos: number };
  severity: GclSettings['severity'];
  jsonPayload: ProtoStruct;
}

export interface WriteRequestInput {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  labels: Record<string, string>;
  entries: LogEntryInput[];
  partialSuccess: true;
}

export function toLogEntry(e: SinkEvent, severity: GclSettings['severity']): LogEntryInput {
  const ms = e.record.timestampMillis;
  return {
    insertId: e.record.iclFields.tspRayId,
    timestamp: { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 },
    severity,
    jsonPayload: toProtoStruct(JSON.parse(e.json) as Record<string, unknown>),
  };
}

/** True when an event cannot fit Cloud Logging's per-entry limit. */
export function tooLarge(e: SinkEvent): boolean {
  return Buffer.byteLength(e.json, 'utf8') + ENTRY_OVERHEAD_BYTES > MAX_ENTRY_BYTES;
}

/**
 * The request for the events that fit, and for each entry of the request the index of its
 * event in the batch (entry i of the request is event sent[i]).
 */
export function buildWriteRequest(
  batch: readonly SinkEvent[],
  s: Pick<GclSettings, 'logName' | 'resource' | 'severity'>,
  tenantId: string,
): { request: WriteRequestInput; sent: number[]; oversized: number[] } {
  const sent: number[] = [];
  const oversized: number[] = [];
  const entries: LogEntryInput[] = [];
  batch.forEach((e, i) => {
    if (tooLarge(e)) oversized.push(i);
    else {
      sent.push(i);
      entries.push(toLogEntry(e, s.severity));
    }
  });
  return {
    request: { logName: s.logName, resource: { type: s.resource.type, labels: { ...s.resource.labels } }, labels: { tenantId }, entries, partialSuccess: true },
    sent,
    oversized,
  };
}
