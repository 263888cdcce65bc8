import { FaultOrLatencyRule, FirstMatchFaults, RuleChecks } from '@tsp/fake-support';

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

export interface SplunkHecFaultRule extends FaultOrLatencyRule<SplunkHecFaultKind> {
  /** Retry-After header value for `busy`: delta-seconds ("7") or an HTTP date. */
  retryAfter?: string;
  /** For `invalid-event` (default 0) and `busy` (none by default). */
  invalidEventNumber?: number;
}

/** Problems with a rule received on the control API (empty when valid). */
export function splunkHecFaultProblems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['rule must be an object'];
  return c
    .knownFields(['fault', 'latencyMs', 'times', 'retryAfter', 'invalidEventNumber'])
    .oneOf('fault', SPLUNK_HEC_FAULT_KINDS)
    .nonNegativeInteger('latencyMs')
    .nonNegativeInteger('invalidEventNumber')
    .positiveInteger('times')
    .string('retryAfter')
    .needsOneOf(['fault', 'latencyMs']).problems;
}

/** The fake's rules: the first wins, a rule with `times` is used up by that many requests. */
export class SplunkHecFaultTable extends FirstMatchFaults<SplunkHecFaultRule> {}
