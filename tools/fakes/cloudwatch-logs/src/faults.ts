import { LayeredDecision, LayeredFaults } from '@tsp/fake-support';
import type { CwlErrorName } from './cwl-errors';

/**
 * Fault injection of the CloudWatch Logs fake: rules matching an operation (or every one) for
 * the next `times` requests (or until cleared). Faults apply after the SigV4 check.
 * - error:   an AWS error body (status from the AWS table unless given)
 * - drop:    destroys the socket without an answer
 * - hang:    keeps the request open, never answers
 * - latency: delays the answer by `ms` (rules add up), then goes on
 */
export type CwlOperation = 'PutLogEvents' | 'CreateLogStream' | 'CreateLogGroup';

export type CwlFaultAction =
  | { type: 'error'; error: CwlErrorName; message?: string; status?: number }
  | { type: 'drop' }
  | { type: 'hang' }
  | { type: 'latency'; ms: number };

export interface CwlFaultRule {
  operation?: CwlOperation;
  times?: number;
  action: CwlFaultAction;
}

export type CwlFaultDecision = LayeredDecision<Exclude<CwlFaultAction, { type: 'latency' }>>;

/** The rules in place: latency rules add up, the first other matching rule decides (see LayeredFaults). */
export class CwlFaultTable {
  private readonly rules = new LayeredFaults<CwlFaultAction, CwlFaultRule>();

  add(rule: CwlFaultRule): void {
    this.rules.add(rule);
  }

  clear(): void {
    this.rules.clear();
  }

  list(): CwlFaultRule[] {
    return this.rules.list();
  }

  /** What applies to one request of `operation`; consumes one use of each rule that applied. */
  decide(operation: string): CwlFaultDecision {
    return this.rules.decide((rule) => rule.operation === undefined || rule.operation === operation);
  }
}
