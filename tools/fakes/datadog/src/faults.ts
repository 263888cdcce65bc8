import { FirstMatchFaults, RuleChecks } from '@tsp/fake-support';

/**
 * Faults the fake Datadog intake can be told to produce, each the way the intake answers.
 * A fault with `times` is used up by that many intake requests; without it, it stays until cleared.
 */
export type DatadogFault =
  /** 503 Service Unavailable. */
  | { kind: 'unavailable'; times?: number }
  /** 500 Internal Server Error. */
  | { kind: 'error'; times?: number }
  /** 408 Request Timeout. */
  | { kind: 'timeout'; times?: number }
  /** 400 Bad Request, as for a payload the intake cannot use. */
  | { kind: 'bad-request'; times?: number }
  /**
   * 429 Too Many Requests with the X-RateLimit-* headers (Reset = retryAfterSeconds) and, unless
   * `rateLimitHeadersOnly`, Retry-After.
   */
  | { kind: 'throttle'; retryAfterSeconds?: number; rateLimitHeadersOnly?: boolean; times?: number }
  /** The request is read and never answered. */
  | { kind: 'hang'; times?: number }
  /** The socket is destroyed without an answer. */
  | { kind: 'drop'; times?: number };

const KINDS = ['unavailable', 'error', 'timeout', 'bad-request', 'throttle', 'hang', 'drop'];

/** Problems with a fault received on the control API (empty when valid). */
export function faultProblems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['fault must be an object'];
  return c
    .oneOf('kind', KINDS, true)
    .knownFields(['kind', 'times', 'retryAfterSeconds', 'rateLimitHeadersOnly'])
    .positiveInteger('times')
    .nonNegativeInteger('retryAfterSeconds')
    .boolean('rateLimitHeadersOnly').problems;
}

/** The faults in place: the oldest applies, one with `times` is used up by that many requests. */
export class FaultList extends FirstMatchFaults<DatadogFault> {}
