import { FaultOrLatencyRule, FirstMatchFaults, RuleChecks } from '@tsp/fake-support';

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

export interface FaultRule extends FaultOrLatencyRule<FaultKind> {
  /** Operations the rule applies to; all when omitted. */
  ops?: FakeOperation[];
  /** Key name the rule applies to (vault operations only); all keys when omitted. */
  key?: string;
}

export interface FaultDecision {
  fault: FaultKind | undefined;
  latencyMs: number;
}

/** Problems with a rule received on the control API (empty when valid). */
export function faultRuleProblems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['rule must be an object'];
  return c
    .knownFields(['ops', 'key', 'fault', 'latencyMs', 'times'])
    .listOf('ops', FAKE_OPERATIONS)
    .string('key')
    .oneOf('fault', FAULT_KINDS)
    .nonNegativeInteger('latencyMs')
    .positiveInteger('times')
    .needsOneOf(['fault', 'latencyMs']).problems;
}

export class FaultTable {
  private readonly rules = new FirstMatchFaults<FaultRule>();

  add(rule: FaultRule): void {
    this.rules.add({ ...rule, ...(rule.ops !== undefined ? { ops: [...rule.ops] } : {}) });
  }

  clear(): void {
    this.rules.clear();
  }

  /** The first matching rule's decision; consumes one use of a counted rule. */
  decide(op: FakeOperation, key: string | undefined): FaultDecision {
    const r = this.rules.next((r) => (r.ops === undefined || r.ops.includes(op)) && (r.key === undefined || (op !== 'token' && r.key === key)));
    return { fault: r?.fault, latencyMs: r?.latencyMs ?? 0 };
  }
}
