import type { AwsKmsErrorName } from './aws-errors';

/**
 * Fault injection: rules that match requests by key, operation and access key id, for a
 * number of requests (`times`) or until cleared.
 * - error:   answer with an AWS error body (status from the AWS table unless given, e.g. 429)
 * - drop:    destroy the socket without answering (a network failure for the client)
 * - latency: delay the answer by `ms` (several latency rules add up), then go on
 */
export type FakeOperation = 'Encrypt' | 'Decrypt' | 'GenerateDataKey';

export type FaultAction =
  | { type: 'error'; error: AwsKmsErrorName; message?: string; status?: number }
  | { type: 'drop' }
  | { type: 'latency'; ms: number };

export interface FaultRule {
  /** Key id, key ARN or alias; matches requests for that key only. Absent: every key. */
  key?: string;
  operation?: FakeOperation;
  accessKeyId?: string;
  /** Applies to this many matching requests, then is removed. Absent: until cleared. */
  times?: number;
  action: FaultAction;
}

export interface ActiveFault extends FaultRule {
  id: string;
}

export interface RequestFacts {
  operation: string;
  /** The resolved key id (UUID), when the request names a known key. */
  keyId: string | undefined;
  accessKeyId: string | undefined;
}

export interface FaultDecision {
  latencyMs: number;
  terminal: Extract<FaultAction, { type: 'error' } | { type: 'drop' }> | undefined;
}

export class FaultTable {
  private rules: ActiveFault[] = [];
  private next = 1;

  /** `resolveKey` maps a rule's key reference (id, ARN, alias) to a key id. */
  constructor(private readonly resolveKey: (ref: string) => string | undefined) {}

  add(rule: FaultRule): string {
    const id = `f${this.next++}`;
    this.rules.push({ ...rule, id });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  private matches(rule: FaultRule, facts: RequestFacts): boolean {
    if (rule.operation !== undefined && rule.operation !== facts.operation) return false;
    if (rule.accessKeyId !== undefined && rule.accessKeyId !== facts.accessKeyId) return false;
    if (rule.key !== undefined) {
      const id = this.resolveKey(rule.key) ?? rule.key;
      if (id !== facts.keyId) return false;
    }
    return true;
  }

  /** What applies to one request; consumes one use of each rule that applied. */
  decide(facts: RequestFacts): FaultDecision {
    let latencyMs = 0;
    let terminal: FaultDecision['terminal'];
    for (const rule of this.rules) {
      if (!this.matches(rule, facts)) continue;
      if (rule.action.type === 'latency') latencyMs += rule.action.ms;
      else if (terminal === undefined) terminal = rule.action;
      else continue;
      if (rule.times !== undefined) rule.times--;
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.times > 0);
    return { latencyMs, terminal };
  }
}
