/**
 * Fault injection for the fake: a rule matches requests by operation and key name and either
 * delays them (latencyMs) or makes them fail the way the real service fails (fault), or both.
 * A rule with `times` is consumed by that many matching requests ("per request"); a rule
 * without it stays until cleared ("per key" / global).
 */
export type FakeOperation = 'token' | 'get' | 'wrapkey' | 'unwrapkey';
export const FAKE_OPERATIONS: readonly FakeOperation[] = ['token', 'get', 'wrapkey', 'unwrapkey'];

export type FaultKind =
  /** 404 KeyNotFound, as if the key (version) did not exist. */
  | 'missing'
  /** 403 Forbidden / innererror KeyDisabled. */
  | 'disabled'
  /** 403 Forbidden / innererror AccessDenied: no permission for the operation. */
  | 'forbidden'
  /** 429 Throttled with Retry-After (token endpoint: 429 AADSTS50196-like throttling). */
  | 'throttle'
  /** The socket is destroyed without a response (a network drop). */
  | 'drop'
  /** 503 ServiceUnavailable. */
  | 'unavailable'
  /** Token endpoint only: 400 unauthorized_client AADSTS7000112, the application is disabled. */
  | 'app-disabled';
export const FAULT_KINDS: readonly FaultKind[] = ['missing', 'disabled', 'forbidden', 'throttle', 'drop', 'unavailable', 'app-disabled'];

export interface FaultRule {
  /** Operations the rule applies to; all when omitted. */
  ops?: FakeOperation[];
  /** Key name the rule applies to (vault operations only); all keys when omitted. */
  key?: string;
  fault?: FaultKind;
  latencyMs?: number;
  /** Matching requests the rule applies to before it is used up; unlimited when omitted. */
  times?: number;
}

export interface FaultDecision {
  fault: FaultKind | undefined;
  latencyMs: number;
}

/** Problems with a rule received on the control API (empty when valid). */
export function faultRuleProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['rule must be an object'];
  const r = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!['ops', 'key', 'fault', 'latencyMs', 'times'].includes(k)) problems.push(`unknown field ${k}`);
  if (r['ops'] !== undefined && (!Array.isArray(r['ops']) || !r['ops'].every((o) => (FAKE_OPERATIONS as readonly unknown[]).includes(o)))) {
    problems.push(`ops must be a list of ${FAKE_OPERATIONS.join(', ')}`);
  }
  if (r['key'] !== undefined && typeof r['key'] !== 'string') problems.push('key must be a string');
  if (r['fault'] !== undefined && !(FAULT_KINDS as readonly unknown[]).includes(r['fault'])) problems.push(`fault must be one of ${FAULT_KINDS.join(', ')}`);
  const latency = r['latencyMs'];
  if (latency !== undefined && (typeof latency !== 'number' || !Number.isInteger(latency) || latency < 0)) problems.push('latencyMs must be a non-negative integer');
  const times = r['times'];
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) problems.push('times must be a positive integer');
  if (r['fault'] === undefined && r['latencyMs'] === undefined) problems.push('a rule needs fault or latencyMs');
  return problems;
}

export class FaultTable {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, ...(rule.ops !== undefined ? { ops: [...rule.ops] } : {}) });
  }

  clear(): void {
    this.rules = [];
  }

  /** The first matching rule's decision; consumes one use of a counted rule. */
  decide(op: FakeOperation, key: string | undefined): FaultDecision {
    const i = this.rules.findIndex(
      (r) => (r.ops === undefined || r.ops.includes(op)) && (r.key === undefined || (op !== 'token' && r.key === key)),
    );
    if (i < 0) return { fault: undefined, latencyMs: 0 };
    const r = this.rules[i];
    if (r.times !== undefined) {
      r.times -= 1;
      if (r.times <= 0) this.rules.splice(i, 1);
    }
    return { fault: r.fault, latencyMs: r.latencyMs ?? 0 };
  }
}
