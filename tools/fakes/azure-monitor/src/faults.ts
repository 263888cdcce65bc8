import { FaultOrLatencyRule, RuleChecks } from '@tsp/fake-support';

/**
 * Fault injection for the fake Logs Ingestion API: a rule matches requests by operation
 * (`token`: the Entra token endpoint, `ingest`: an upload call) and delays them (latencyMs),
 * makes them fail as the service fails (fault), or both. `skip` lets that many matching
 * requests through untouched first and `times` ends the rule after that many matches, so one
 * call of a multi-call upload can be made to fail ("per request"); without `times` a rule
 * stays until cleared.
 */
export type FakeOperation = 'token' | 'ingest';
export const FAKE_OPERATIONS: readonly FakeOperation[] = ['token', 'ingest'];

export type FaultKind =
  /** 503 ServiceUnavailable (token endpoint: 503 temporarily_unavailable). */
  | 'unavailable'
  /** 500 InternalServerError. */
  | 'internal'
  /** 429 TooManyRequests with Retry-After: retryAfterSeconds (default 1). */
  | 'throttle'
  /** 400 InvalidPayload: the call is refused for good. */
  | 'bad-request'
  /** 413 ContentLengthLimitExceeded. */
  | 'too-large'
  /** 401 InvalidAuthenticationToken, as for an expired or foreign token. */
  | 'unauthorized'
  /** 403 OperationFailed: the app lacks the Monitoring Metrics Publisher role on the DCR. */
  | 'forbidden'
  /** 404 NotFound, as for an unknown rule. */
  | 'not-found'
  /** The socket is destroyed without an answer. */
  | 'drop'
  /** The request is read and never answered. */
  | 'hang';
export const FAULT_KINDS: readonly FaultKind[] = ['unavailable', 'internal', 'throttle', 'bad-request', 'too-large', 'unauthorized', 'forbidden', 'not-found', 'drop', 'hang'];

export interface FaultRule extends FaultOrLatencyRule<FaultKind> {
  /** Operations the rule applies to; `ingest` only when omitted. */
  ops?: FakeOperation[];
  /** For `throttle`: the Retry-After seconds (default 1). */
  retryAfterSeconds?: number;
  /** Matching requests let through before the rule applies (default 0). */
  skip?: number;
}

export interface FaultDecision {
  fault: FaultKind | undefined;
  retryAfterSeconds: number;
  latencyMs: number;
}

const KEYS = ['ops', 'fault', 'retryAfterSeconds', 'latencyMs', 'skip', 'times'];

/** Problems with a rule received on the control API (empty when valid). */
export function faultRuleProblems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['rule must be an object'];
  c.knownFields(KEYS).listOf('ops', FAKE_OPERATIONS).oneOf('fault', FAULT_KINDS);
  for (const k of ['retryAfterSeconds', 'latencyMs', 'skip']) c.nonNegativeInteger(k);
  return c.positiveInteger('times').needsOneOf(['fault', 'latencyMs']).problems;
}

export class FaultTable {
  private rules: Array<FaultRule & { seen: number; used: number }> = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, ...(rule.ops !== undefined ? { ops: [...rule.ops] } : {}), seen: 0, used: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The first applicable rule's decision; counts the request against every matching rule's skip. */
  decide(op: FakeOperation): FaultDecision {
    let chosen: (FaultRule & { seen: number; used: number }) | undefined;
    for (const r of this.rules) {
      if (!(r.ops ?? ['ingest']).includes(op)) continue;
      r.seen++;
      if (chosen === undefined && r.seen > (r.skip ?? 0)) chosen = r;
    }
    if (chosen === undefined) return { fault: undefined, retryAfterSeconds: 1, latencyMs: 0 };
    chosen.used++;
    if (chosen.times !== undefined && chosen.used >= chosen.times) this.rules.splice(this.rules.indexOf(chosen), 1);
    return { fault: chosen.fault, retryAfterSeconds: chosen.retryAfterSeconds ?? 1, latencyMs: chosen.latencyMs ?? 0 };
  }
}
