/**
 * Fault injection of the webhook receiver: rules applied to the next `times` requests (or until
 * cleared). Infrastructure faults (unavailable, throttle, hang, drop) answer before the signature
 * is checked, as a gateway in front of a receiver would; reject and partial answer after it.
 * - unavailable: 503 (or the 5xx given) with a JSON error body
 * - throttle:    429 with Retry-After: <retryAfterSeconds>
 * - reject:      400 (or the 4xx given) with {"error": ...}
 * - partial:     207 {"failed":[...]} for those indices of each batch, storing the others
 * - hang:        keeps the request open, never answers
 * - drop:        destroys the socket without an answer
 * - latency:     delays the answer by `ms` (rules add up), then goes on
 */
export type WebhookFault =
  | { type: 'unavailable'; status?: number }
  | { type: 'throttle'; retryAfterSeconds: number }
  | { type: 'reject'; status?: number; error?: string }
  | { type: 'partial'; rejectIndices: readonly number[]; retryIndices: readonly number[] }
  | { type: 'hang' }
  | { type: 'drop' }
  | { type: 'latency'; ms: number };

export interface WebhookFaultRule {
  /** Applies to this many requests, then is removed. Absent: until cleared. */
  times?: number;
  action: WebhookFault;
}

export interface FaultDecision {
  latencyMs: number;
  terminal: Exclude<WebhookFault, { type: 'latency' }> | undefined;
}

export class WebhookFaultTable {
  private rules: WebhookFaultRule[] = [];

  add(rule: WebhookFaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  list(): WebhookFaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** What applies to one request; consumes one use of each rule that applied. */
  decide(): FaultDecision {
    let latencyMs = 0;
    let terminal: FaultDecision['terminal'];
    for (const rule of this.rules) {
      if (rule.action.type === 'latency') latencyMs += rule.action.ms;
      else if (terminal === undefined) terminal = rule.action;
      else continue;
      if (rule.times !== undefined) rule.times--;
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.times > 0);
    return { latencyMs, terminal };
  }
}
