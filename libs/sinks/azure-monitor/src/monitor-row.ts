import { isoTimestamp, SecurityEventRecord } from '@tsp/events';

/**
 * One event as one object of the DCR stream: TimeGenerated (the event's time, ISO 8601 UTC)
 * plus the delivered fields flattened into PascalCase columns. Optional fields the event lacks
 * are left out (the column stays empty); CustomFields and Kms are `dynamic` objects.
 *
 * | column         | type     | from                          |
 * |----------------|----------|-------------------------------|
 * | TimeGenerated  | datetime | timestampMillis               |
 * | TenantId       | string   | tenantId (renamed by the DCR transform, see the doc) |
 * | Event          | string   | iclFields.event               |
 * | RequestingId   | string   | iclFields.requestingId        |
 * | DataLabel      | string   | iclFields.dataLabel           |
 * | SourceIp       | string   | iclFields.sourceIp            |
 * | ObjectId       | string   | iclFields.objectId            |
 * | RequestId      | string   | iclFields.requestId           |
 * | TspRayId       | string   | iclFields.tspRayId            |
 * | LogdriverRayId | string   | iclFields.logdriverRayId      |
 * | CustomFields   | dynamic  | customFields                  |
 * | Kms            | dynamic  | kms (kms events only)         |
 */
export interface MonitorRow {
  TimeGenerated: string;
  TenantId: string;
  Event: string;
  RequestingId: string;
  DataLabel?: string;
  SourceIp?: string;
  ObjectId?: string;
  RequestId?: string;
  TspRayId: string;
  LogdriverRayId?: string;
  CustomFields: Record<string, string>;
  Kms?: SecurityEventRecord['kms'];
}

export function toMonitorRow(e: SecurityEventRecord): MonitorRow {
  const f = e.iclFields;
  const row: MonitorRow = {
    TimeGenerated: isoTimestamp(e.timestampMillis),
    TenantId: e.tenantId,
    Event: f.event,
    RequestingId: f.requestingId,
    TspRayId: f.tspRayId,
    CustomFields: e.customFields,
  };
  if (f.dataLabel !== undefined) row.DataLabel = f.dataLabel;
  if (f.sourceIp !== undefined) row.SourceIp = f.sourceIp;
  if (f.objectId !== undefined) row.ObjectId = f.objectId;
  if (f.requestId !== undefined) row.RequestId = f.requestId;
  if (f.logdriverRayId !== undefined) row.LogdriverRayId = f.logdriverRayId;
  if (e.kms !== undefined) row.Kms = e.kms;
  return row;
}
