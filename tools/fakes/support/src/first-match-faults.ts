/** A fault rule that may be limited to a number of requests. */
export interface CountedRule {
  /** Requests the rule applies to before it is used up; unlimited when omitted. */
  times?: number;
}

/** A rule that delays matching requests (latencyMs), fails them as the service does (fault), or both. */
export interface FaultOrLatencyRule<K extends string> extends CountedRule {
  /** One of the fake's fault kinds. */
  fault?: K;
  /** Milliseconds to wait before going on (answering, or acting out the fault). */
  latencyMs?: number;
}

/**
 * Fault rules consulted in the order they were added: the first rule that matches a request is
 * the one that applies, and a rule with `times` is removed once that many requests used it.
 * (One rule per request; for rules that add latency to another rule, see LayeredFaults.)
 */
export class FirstMatchFaults<R extends CountedRule> {
  private rules: R[] = [];

  /** Adds a rule after the existing ones (a shallow copy: later changes to `rule` do not count). */
  add(rule: R): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  /** Copies of the rules in place, `times` being what is left of each. */
  list(): R[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * The first rule that `matches` (every rule when omitted), one of its uses consumed; undefined
   * when none matches. The rule returned is a copy.
   */
  next(matches: (rule: R) => boolean = () => true): R | undefined {
    const i = this.rules.findIndex(matches);
    if (i < 0) return undefined;
    const r = this.rules[i];
    if (r.times !== undefined) {
      r.times -= 1;
      if (r.times <= 0) this.rules.splice(i, 1);
    }
    return { ...r };
  }
}
