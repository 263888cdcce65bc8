import type { SinkEvent } from '@tsp/sinks-core';
import { SYSLOG_FACILITIES, SyslogFacility } from './syslog-config';

/** RFC 5424 severities the sink uses. */
export const SEVERITY_WARNING = 4;
export const SEVERITY_INFORMATIONAL = 6;

/** What is fixed per sink instance in every message header. */
export interface SyslogHeader {
  facility: SyslogFacility;
  /** HOSTNAME, already printable US-ASCII, 1..255 characters. */
  hostname: string;
  /** APP-NAME, already printable US-ASCII, 1..48 characters. */
  appName: string;
  /** SD-ID of the sink's structured data element. */
  sdId: string;
  utf8Bom: boolean;
}

const BOM = '\ufeff';

/**
 * Printable US-ASCII (33..126) of at most `max` characters, other characters replaced by '_'
 * (RFC 5424 header fields); '-' (NILVALUE) when empty.
 */
export function headerField(value: string, max: number): string {
  const s = value.replace(/[^!-~]/g, '_').slice(0, max);
  return s === '' ? '-' : s;
}

/** A PARAM-VALUE of RFC 5424 section 6.3.3: '"', '\' and ']' escaped with a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** Severity of an event: warning for a kms event that failed (errorCode or failures), else informational. */
export function severityOf(event: SinkEvent): number {
  const kms = event.record.kms;
  return kms !== undefined && (kms.errorCode !== undefined || (kms.failures ?? 0) > 0) ? SEVERITY_WARNING : SEVERITY_INFORMATIONAL;
}

/**
 * One RFC 5424 message (without framing) of a delivered event:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [sdId tenantId=".." tspRayId=".." logdriverRayId=".."] MSG`
 * where TIMESTAMP is the event's time (UTC, milliseconds), MSGID the event name
 * (iclFields.event, sanitised to 32 printable ASCII characters) and MSG the delivered JSON,
 * preceded by a UTF-8 BOM when the header asks for it.
 */
export function formatMessage(event: SinkEvent, header: SyslogHeader): string {
  const r = event.record;
  const pri = SYSLOG_FACILITIES.indexOf(header.facility) * 8 + severityOf(event);
  const timestamp = new Date(r.timestampMillis).toISOString();
  const msgId = headerField(r.iclFields.event, 32);
  let sd = `[${header.sdId} tenantId="${escapeParamValue(r.tenantId)}" tspRayId="${escapeParamValue(r.iclFields.tspRayId)}"`;
  if (r.iclFields.logdriverRayId !== undefined) sd += ` logdriverRayId="${escapeParamValue(r.iclFields.logdriverRayId)}"`;
  sd += ']';
  return `<${pri}>1 ${timestamp} ${header.hostname} ${header.appName} - ${msgId} ${sd} ${header.utf8Bom ? BOM : ''}${event.json}`;
}

/** RFC 6587 octet-counting frame of one message: `<length in bytes> <message>`. */
export function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}
