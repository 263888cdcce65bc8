import { LayeredFaults } from '@tsp/fake-support';
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
  private readonly rules = new LayeredFaults<FaultAction, ActiveFault>();
  private next = 1;

  /** `resolveKey` maps a rule's key reference (id, ARN, alias) to a key id. */
  constructor(private readonly resolveKey: (ref: string) => string | undefined) {}

  add(rule: FaultRule): string {
    const id = `f${this.next++}`;
    this.rules.add({ ...rule, id });
    return id;
  }

  remove(id: string): boolean {
    return this.rules.remove((r) => r.id === id);
  }

  clear(): void {
    this.rules.clear();
  }

  list(): ActiveFault[] {
    return this.rules.list();
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

  /** What applies to one request; latency rules add up, the first other matching rule decides. */
  decide(facts: RequestFacts): FaultDecision {
    return this.rules.decide((rule) => this.matches(rule, facts));
  }
}
