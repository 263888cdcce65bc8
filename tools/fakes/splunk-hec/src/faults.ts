/**
 * Fault injection for the fake HEC. A rule delays matching requests (latencyMs) and/or answers
 * them the way a real HEC fails (fault). A rule with `times` is used up by that many requests
 * ("per request"); one without stays until cleared. The first rule in the table wins.
 */
export type SplunkHecFaultKind =
  /** 503 {"text":"Server is busy","code":9}; Retry-After when `retryAfter` is set; with
   * invalidEventNumber N the events before N are indexed and the answer names N. */
  | 'busy'
  /** 500 {"text":"Internal server error","code":8}. */
  | 'internal'
  /** 400 {"text":"Invalid data format","code":6,"invalid-event-number":N}: events before N indexed. */
  | 'invalid-event'
  /** 413 from splunkd's HTTP layer, as for a body over max_content_length. */
  | 'too-large'
  /** The socket is destroyed without an answer. */
  | 'drop'
  /** The request is read and never answered. */
  | 'hang';
export const SPLUNK_HEC_FAULT_KINDS: readonly SplunkHecFaultKind[] = ['busy', 'internal', 'invalid-event', 'too-large', 'drop', 'hang'];

export interface SplunkHecFaultRule {
  fault?: SplunkHecFaultKind;
  latencyMs?: number;
  /** Requests the rule applies to before it is used up; unlimited when omitted. */
  times?: number;
  /** Retry-After header value for `busy`: delta-seconds ("7") or an HTTP date. */
  retryAfter?: string;
  /** For `invalid-event` (default 0) and `busy` (none by default). */
  invalidEventNumber?: number;
}

/** Problems with a rule received on the control API (empty when valid). */
export function splunkHecFaultProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['rule must be an object'];
  const r = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!['fault', 'latencyMs', 'times', 'retryAfter', 'invalidEventNumber'].includes(k)) problems.push(`unknown field ${k}`);
  if (r['fault'] !== undefined && !(SPLUNK_HEC_FAULT_KINDS as readonly unknown[]).includes(r['fault'])) {
    problems.push(`fault must be one of ${SPLUNK_HEC_FAULT_KINDS.join(', ')}`);
  }
  const nonNegative = (k: string): void => {
    const x = r[k];
    if (x !== undefined && (typeof x !== 'number' || !Number.isInteger(x) || x < 0)) problems.push(`${k} must be a non-negative integer`);
  };
  nonNegative('latencyMs');
  nonNegative('invalidEventNumber');
  const times = r['times'];
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) problems.push('times must be a positive integer');
  if (r['retryAfter'] !== undefined && typeof r['retryAfter'] !== 'string') problems.push('retryAfter must be a string');
  if (r['fault'] === undefined && r['latencyMs'] === undefined) problems.push('a rule needs fault or latencyMs');
  return problems;
}

export class SplunkHecFaultTable {
  private rules: SplunkHecFaultRule[] = [];

  add(rule: SplunkHecFaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  /** The first rule (consuming one use of a counted rule), or undefined. */
  next(): SplunkHecFaultRule | undefined {
    const r = this.rules[0];
    if (r === undefined) return undefined;
    if (r.times !== undefined) {
      r.times -= 1;
      if (r.times <= 0) this.rules.shift();
    }
    return { ...r };
  }
}
