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
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['fault must be an object'];
  const f = v as Record<string, unknown>;
  const problems: string[] = [];
  if (!KINDS.includes(String(f['kind']))) problems.push(`kind must be one of ${KINDS.join(', ')}`);
  for (const k of Object.keys(f)) if (!['kind', 'times', 'retryAfterSeconds', 'reject', 'retry'].includes(k)) problems.push(`unknown field ${k}`);
  if (f['times'] !== undefined && !(Number.isInteger(f['times']) && (f['times'] as number) > 0)) problems.push('times must be a positive integer');
  if (f['retryAfterSeconds'] !== undefined && !(Number.isInteger(f['retryAfterSeconds']) && (f['retryAfterSeconds'] as number) >= 0)) {
    problems.push('retryAfterSeconds must be a non-negative integer');
  }
  if (!indexList(f['reject']) || !indexList(f['retry'])) problems.push("reject and retry must be lists of item positions or 'all'");
  return problems;
}

export class FaultList {
  private faults: { fault: EsFault; left: number | undefined }[] = [];

  add(fault: EsFault): void {
    this.faults.push({ fault, left: fault.times });
  }

  clear(): void {
    this.faults = [];
  }

  /** The oldest active fault, one use of it consumed; undefined when none. */
  next(): EsFault | undefined {
    const f = this.faults[0];
    if (f === undefined) return undefined;
    if (f.left !== undefined && --f.left <= 0) this.faults.shift();
    return f.fault;
  }
}

/** Whether an item position is selected by a fault's list. */
export function selects(list: readonly number[] | 'all' | undefined, position: number): boolean {
  return list === 'all' || (list !== undefined && list.includes(position));
}
