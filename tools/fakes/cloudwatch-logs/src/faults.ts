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

export interface CwlFaultDecision {
  latencyMs: number;
  terminal: Exclude<CwlFaultAction, { type: 'latency' }> | undefined;
}

export class CwlFaultTable {
  private rules: CwlFaultRule[] = [];

  add(rule: CwlFaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  list(): CwlFaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** What applies to one request; consumes one use of each rule that applied. */
  decide(operation: string): CwlFaultDecision {
    let latencyMs = 0;
    let terminal: CwlFaultDecision['terminal'];
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.action.type === 'latency') latencyMs += rule.action.ms;
      else if (terminal === undefined) terminal = rule.action;
      else continue;
      if (rule.times !== undefined) rule.times--;
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.times > 0);
    return { latencyMs, terminal };
  }
}
