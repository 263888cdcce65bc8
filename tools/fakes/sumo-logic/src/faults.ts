/**
 * Fault injection for the fake Sumo Logic HTTP source. A rule delays matching requests
 * (latencyMs) and/or answers them the way the receiver fails (fault). A rule with `times` is used
 * up by that many requests ("per request"); one without stays until cleared. First rule wins.
 */
export type SumoFaultKind =
  /** 429 Too Many Requests (quota-based throttling), Retry-After when `retryAfter` is set. */
  | 'throttle'
  /** 503 Service Unavailable. */
  | 'unavailable'
  /** 504 Gateway Timeout. */
  | 'gateway-timeout'
  /** 408 Request Timeout (accepted, timed out processing: Sumo documents it as such). */
  | 'timeout'
  /** 413 Request Entity Too Large, whatever the size. */
  | 'too-large'
  /** The socket is destroyed without an answer. */
  | 'drop'
  /** The request is read and never answered. */
  | 'hang';
export const SUMO_FAULT_KINDS: readonly SumoFaultKind[] = ['throttle', 'unavailable', 'gateway-timeout', 'timeout', 'too-large', 'drop', 'hang'];

export interface SumoFaultRule {
  fault?: SumoFaultKind;
  latencyMs?: number;
  /** Requests the rule applies to before it is used up; unlimited when omitted. */
  times?: number;
  /** Retry-After value sent with `throttle` or `unavailable`: delta-seconds or an HTTP date. */
  retryAfter?: string;
}

/** Problems with a rule received on the control API (empty when valid). */
export function sumoFaultProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['rule must be an object'];
  const r = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!['fault', 'latencyMs', 'times', 'retryAfter'].includes(k)) problems.push(`unknown field ${k}`);
  if (r['fault'] !== undefined && !(SUMO_FAULT_KINDS as readonly unknown[]).includes(r['fault'])) problems.push(`fault must be one of ${SUMO_FAULT_KINDS.join(', ')}`);
  const latency = r['latencyMs'];
  if (latency !== undefined && (typeof latency !== 'number' || !Number.isInteger(latency) || latency < 0)) problems.push('latencyMs must be a non-negative integer');
  const times = r['times'];
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) problems.push('times must be a positive integer');
  if (r['retryAfter'] !== undefined && typeof r['retryAfter'] !== 'string') problems.push('retryAfter must be a string');
  if (r['fault'] === undefined && r['latencyMs'] === undefined) problems.push('a rule needs fault or latencyMs');
  return problems;
}

export class SumoFaultTable {
  private rules: SumoFaultRule[] = [];

  add(rule: SumoFaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  /** The first rule (consuming one use of a counted rule), or undefined. */
  next(): SumoFaultRule | undefined {
    const r = this.rules[0];
    if (r === undefined) return undefined;
    if (r.times !== undefined) {
      r.times -= 1;
      if (r.times <= 0) this.rules.shift();
    }
    return { ...r };
  }
}
