import type { SinkEvent } from '@tsp/sinks-core';

/** PutLogEvents limits (API reference, "The batch of events must satisfy the following constraints"). */
export const CWL_MAX_EVENTS = 10_000;
export const CWL_MAX_REQUEST_BYTES = 1_048_576;
export const CWL_EVENT_OVERHEAD_BYTES = 26;
/** Largest event, its 26 bytes included (256 KB). */
export const CWL_MAX_EVENT_BYTES = 262_144;
export const CWL_MAX_SPAN_MS = 24 * 3600_000;

/** One PutLogEvents call: events in chronological order, and where each came from in the batch. */
export interface PutChunk {
  /** indices[i] is the batch index of logEvents[i]. */
  indices: number[];
  logEvents: { timestamp: number; message: string }[];
}

export interface PutPlan {
  chunks: PutChunk[];
  /** Batch indices of events larger than one event may be (never sendable). */
  oversized: number[];
}

/**
 * Orders a batch by timestamp (stable: equal timestamps keep batch order), as PutLogEvents
 * requires, and cuts it into calls that each respect the count, byte (UTF-8 + 26 per event) and
 * 24-hour span limits. Events over 256 KB are set aside.
 */
export function planPuts(batch: readonly SinkEvent[]): PutPlan {
  const order = batch.map((_e, i) => i);
  order.sort((a, b) => (batch[a] as SinkEvent).record.timestampMillis - (batch[b] as SinkEvent).record.timestampMillis || a - b);
  const chunks: PutChunk[] = [];
  const oversized: number[] = [];
  let current: PutChunk | undefined;
  let bytes = 0;
  for (const i of order) {
    const e = batch[i] as SinkEvent;
    const size = Buffer.byteLength(e.json, 'utf8') + CWL_EVENT_OVERHEAD_BYTES;
    if (size > CWL_MAX_EVENT_BYTES) {
      oversized.push(i);
      continue;
    }
    const ts = e.record.timestampMillis;
    if (
      current === undefined ||
      current.logEvents.length >= CWL_MAX_EVENTS ||
      bytes + size > CWL_MAX_REQUEST_BYTES ||
      ts - (current.logEvents[0] as { timestamp: number }).timestamp > CWL_MAX_SPAN_MS
    ) {
      current = { indices: [], logEvents: [] };
      chunks.push(current);
      bytes = 0;
    }
    current.indices.push(i);
    current.logEvents.push({ timestamp: ts, message: e.json });
    bytes += size;
  }
  return { chunks, oversized };
}
