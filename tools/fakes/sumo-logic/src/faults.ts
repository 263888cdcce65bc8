import { FaultOrLatencyRule, FirstMatchFaults, RuleChecks } from '@tsp/fake-support';

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

export interface SumoFaultRule extends FaultOrLatencyRule<SumoFaultKind> {
  /** Retry-After value sent with `throttle` or `unavailable`: delta-seconds or an HTTP date. */
  retryAfter?: string;
}

/** Problems with a rule received on the control API (empty when valid). */
export function sumoFaultProblems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['rule must be an object'];
  return c
    .knownFields(['fault', 'latencyMs', 'times', 'retryAfter'])
    .oneOf('fault', SUMO_FAULT_KINDS)
    .nonNegativeInteger('latencyMs')
    .positiveInteger('times')
    .string('retryAfter')
    .needsOneOf(['fault', 'latencyMs']).problems;
}

/** The fake's rules: the first wins, a rule with `times` is used up by that many requests. */
export class SumoFaultTable extends FirstMatchFaults<SumoFaultRule> {}
