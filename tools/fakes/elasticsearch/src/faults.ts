import { FirstMatchFaults, RuleChecks } from '@tsp/fake-support';

/**
 * Faults the fake Elasticsearch can be told to produce, each the way the real cluster answers.
 * A fault with `times` is used up by that many _bulk requests; without it, it stays until cleared.
 */
export type EsFault =
  /** 503 cluster_block_exception (no master) for every request. */
  | { kind: 'unavailable'; times?: number }
  /** 429 es_rejected_execution_exception for the whole request, with Retry-After when given. */
  | { kind: 'throttle'; retryAfterSeconds?: number; times?: number }
  /** 413 Request Entity Too Large, as for a body above http.max_content_length. */
  | { kind: 'too-large'; times?: number }
  /**
   * Item-level failures by position in the request: `reject` items get 400
   * document_parsing_exception, `retry` items 429 es_rejected_execution_exception; `'all'`
   * applies to every item. The other items are processed normally.
   */
  | { kind: 'items'; reject?: readonly number[] | 'all'; retry?: readonly number[] | 'all'; times?: number }
  /** The request is read and never answered. */
  | { kind: 'hang'; times?: number }
  /** The socket is destroyed without an answer. */
  | { kind: 'drop'; times?: number };

const KINDS = ['unavailable', 'throttle', 'too-large', 'items', 'hang', 'drop'];

function indexList(v: unknown): boolean {
  return v === undefined || v === 'all' || (Array.isArray(v) && v.every((n) => Number.isInteger(n) && (n as number) >= 0));
}

/** Problems with a fault received on the control API (empty when valid). */
export function faultProblems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['fault must be an object'];
  c.oneOf('kind', KINDS, true)
    .knownFields(['kind', 'times', 'retryAfterSeconds', 'reject', 'retry'])
    .positiveInteger('times')
    .nonNegativeInteger('retryAfterSeconds');
  if (!indexList(c.value['reject']) || !indexList(c.value['retry'])) c.problem("reject and retry must be lists of item positions or 'all'");
  return c.problems;
}

/** The faults in place: the oldest applies, one with `times` is used up by that many _bulk requests. */
export class FaultList extends FirstMatchFaults<EsFault> {}

/** Whether an item position is selected by a fault's list. */
export function selects(list: readonly number[] | 'all' | undefined, position: number): boolean {
  return list === 'all' || (list !== undefined && list.includes(position));
}
