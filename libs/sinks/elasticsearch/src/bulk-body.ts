import { isoTimestamp } from '@tsp/events';
import type { SinkEvent } from '@tsp/sinks-core';

/**
 * The NDJSON body of a _bulk request: per event a `create` action line (so a redelivered event,
 * same tspRayId, is a 409 version conflict instead of a duplicate) and the delivered object with
 * `@timestamp` (the event time, as data streams require) put first. Ends with "\n", as
 * Elasticsearch requires. Precondition: every `json` is a delivered-shape JSON object.
 */
export function bulkBody(batch: readonly SinkEvent[], index: string): string {
  const indexJson = JSON.stringify(index);
  const parts: string[] = [];
  for (const e of batch) {
    parts.push(`{"create":{"_index":${indexJson},"_id":${JSON.stringify(e.record.iclFields.tspRayId)}}}`);
    const rest = e.json.slice(1).trimStart();
    parts.push(`{"@timestamp":"${isoTimestamp(e.record.timestampMillis)}"${rest.startsWith('}') ? '' : ','}${rest}`);
  }
  return `${parts.join('\n')}\n`;
}
