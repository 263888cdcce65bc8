import { LayeredDecision, LayeredFaults } from '@tsp/fake-support';

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

export type FaultDecision = LayeredDecision<Exclude<WebhookFault, { type: 'latency' }>>;

/** The rules in place: latency rules add up, the first other rule decides (see LayeredFaults). */
export class WebhookFaultTable extends LayeredFaults<WebhookFault, WebhookFaultRule> {}
