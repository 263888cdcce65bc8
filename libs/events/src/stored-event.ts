import { deliveredEventLine, SecurityEventRecord } from './security-event';

/**
 * How the logdriver stores an event: its delivered line (tsp-api.md shape, no newline) without
 * `iclFields.logdriverRayId`, which depends on the spool sequence number and is spliced in at
 * delivery, so delivering an event needs no JSON parse. Spools written before this stored the
 * SecurityEventRecord JSON (it starts with `{"category":`); both read back the same.
 */
export function storedEventText(e: SecurityEventRecord): string {
  const line = deliveredEventLine(e);
  return line.slice(0, line.length - 1);
}

const ICL_END = '},"customFields":';
const LEGACY_PREFIX = '{"category":';

/**
 * The delivered line of a stored event with its logdriverRayId. In a delivered line the first
 * `},"customFields":` closes iclFields: inside a JSON string every `"` is escaped, so that text
 * cannot occur in a value.
 */
export function deliveredLineOfStored(stored: string, logdriverRayId: string): string {
  if (stored.startsWith(LEGACY_PREFIX)) {
    const record = JSON.parse(stored) as SecurityEventRecord;
    record.iclFields.logdriverRayId = logdriverRayId;
    return storedEventText(record);
  }
  const i = stored.indexOf(ICL_END);
  if (i < 0) throw new Error('stored event is not a delivered line');
  return `${stored.slice(0, i)},"logdriverRayId":${JSON.stringify(logdriverRayId)}${stored.slice(i)}`;
}

interface DeliveredJson {
  tenantId: string;
  timestamp: string;
  iclFields: SecurityEventRecord['iclFields'];
  customFields: Record<string, string>;
  kms?: SecurityEventRecord['kms'];
}

/** The record behind a delivered line (category: `kms` when it has kms detail). */
export function recordOfDeliveredLine(line: string): SecurityEventRecord {
  const d = JSON.parse(line) as DeliveredJson;
  const record: SecurityEventRecord = {
    category: d.kms !== undefined ? 'kms' : 'application',
    tenantId: d.tenantId,
    timestampMillis: Date.parse(d.timestamp),
    iclFields: d.iclFields,
    customFields: d.customFields,
  };
  if (d.kms !== undefined) record.kms = d.kms;
  return record;
}
