/** A rule whose action is either extra latency or a "terminal" fault that decides the answer. */
export interface LayeredRule<A extends { type: string }> {
  /** Matching requests the rule applies to, then it is removed; until cleared when omitted. */
  times?: number;
  action: A;
}

/** What applies to one request. */
export interface LayeredDecision<T> {
  /** The sum of the latency of every matching latency rule. */
  latencyMs: number;
  /** The action of the first matching non-latency rule, if any. */
  terminal: T | undefined;
}

type LatencyAction = { type: 'latency'; ms: number };

/**
 * Fault rules where latency layers on top of a fault: for one request the latency of every
 * matching `{type: 'latency', ms}` rule adds up, the first matching other rule decides the
 * answer, and each rule that applied has one of its `times` consumed (a rule with none left is
 * removed; a later terminal rule that did not apply keeps its uses).
 */
export class LayeredFaults<A extends { type: string }, R extends LayeredRule<A> = LayeredRule<A>> {
  private rules: R[] = [];

  /** Adds a rule after the existing ones (a shallow copy). */
  add(rule: R): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  /** Removes the rules `which` selects; whether any was removed. */
  remove(which: (rule: R) => boolean): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => !which(r));
    return this.rules.length !== before;
  }

  /** Copies of the rules in place, `times` being what is left of each. */
  list(): R[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** What applies to one request among the rules that `matches` (all when omitted); consumes uses. */
  decide(matches: (rule: R) => boolean = () => true): LayeredDecision<Exclude<A, LatencyAction>> {
    let latencyMs = 0;
    let terminal: Exclude<A, LatencyAction> | undefined;
    for (const rule of this.rules) {
      if (!matches(rule)) continue;
      if (isLatency(rule.action)) latencyMs += rule.action.ms;
      else if (terminal === undefined) terminal = rule.action as Exclude<A, LatencyAction>;
      else continue;
      if (rule.times !== undefined) rule.times--;
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.times > 0);
    return { latencyMs, terminal };
  }
}

function isLatency(action: { type: string }): action is LatencyAction {
  return action.type === 'latency';
}
