import type { SinkEvent } from '@tsp/sinks-core';

/** Metadata every envelope of a sink carries. */
export interface HecMetadata {
  host: string;
  source: string;
  sourcetype: string;
  index: string | undefined;
}

/** Epoch seconds with millisecond precision, as HEC's `time` expects (e.g. 1780000000.123). */
export function hecTime(millis: number): string {
  return (millis / 1000).toFixed(3);
}

/**
 * The body of one POST to /services/collector/event: one JSON envelope per event, one per line
 * (HEC reads envelopes one after another), each
 *   {"time":<s.mmm>,"host":..,"source":..,"sourcetype":..,"index":..?,"event":<delivered event>}
 * where `event` is the delivered JSON exactly as the pipeline built it.
 */
export function buildHecBody(batch: readonly SinkEvent[], meta: HecMetadata): string {
  const fixed =
    `"host":${JSON.stringify(meta.host)},"source":${JSON.stringify(meta.source)},"sourcetype":${JSON.stringify(meta.sourcetype)}` +
    (meta.index !== undefined ? `,"index":${JSON.stringify(meta.index)}` : '');
  let out = '';
  for (const e of batch) out += `{"time":${hecTime(e.record.timestampMillis)},${fixed},"event":${e.json}}\n`;
  return out;
}
