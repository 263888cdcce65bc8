/**
 * Splits a HEC /services/collector/event body into its events. The body is a run of JSON
 * objects, one after another with optional whitespace between (not an array, not NDJSON
 * necessarily). Returns the parsed objects up to the first one that is not a well-formed JSON
 * object, and the index of that one (`invalidAt`), as HEC reports it in invalid-event-number.
 */
export interface SplitBody {
  events: Record<string, unknown>[];
  /** Index of the first malformed event; undefined when the whole body was well formed. */
  invalidAt: number | undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** End (exclusive) of the JSON object starting at `start` (a '{'), or -1 when it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

export function splitHecBody(text: string): SplitBody {
  const events: Record<string, unknown>[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) return { events, invalidAt: undefined };
    if (text.charCodeAt(i) !== 0x7b) return { events, invalidAt: events.length };
    const end = objectEnd(text, i);
    if (end < 0) return { events, invalidAt: events.length };
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end));
    } catch {
      return { events, invalidAt: events.length };
    }
    events.push(value as Record<string, unknown>);
    i = end;
  }
}
