/**
 * Faults the fake Datadog intake can be told to produce, each the way the intake answers.
 * A fault with `times` is used up by that many intake requests; without it, it stays until cleared.
 */
export type DatadogFault =
  /** 503 Service Unavailable. */
  | { kind: 'unavailable'; times?: number }
  /** 500 Internal Server Error. */
  | { kind: 'error'; times?: number }
  /** 408 Request Timeout. */
  | { kind: 'timeout'; times?: number }
  /** 400 Bad Request, as for a payload the intake cannot use. */
  | { kind: 'bad-request'; times?: number }
  /**
   * 429 Too Many Requests with the X-RateLimit-* headers (Reset = retryAfterSeconds) and, unless
   * `rateLimitHeadersOnly`, Retry-After.
   */
  | { kind: 'throttle'; retryAfterSeconds?: number; rateLimitHeadersOnly?: boolean; times?: number }
  /** The request is read and never answered. */
  | { kind: 'hang'; times?: number }
  /** The socket is destroyed without an answer. */
  | { kind: 'drop'; times?: number };

const KINDS = ['unavailable', 'error', 'timeout', 'bad-request', 'throttle', 'hang', 'drop'];

/** Problems with a fault received on the control API (empty when valid). */
export function faultProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['fault must be an object'];
  const f = v as Record<string, unknown>;
  const problems: string[] = [];
  if (!KINDS.includes(String(f['kind']))) problems.push(`kind must be one of ${KINDS.join(', ')}`);
  for (const k of Object.keys(f)) if (!['kind', 'times', 'retryAfterSeconds', 'rateLimitHeadersOnly'].includes(k)) problems.push(`unknown field ${k}`);
  if (f['times'] !== undefined && !(Number.isInteger(f['times']) && (f['times'] as number) > 0)) problems.push('times must be a positive integer');
  if (f['retryAfterSeconds'] !== undefined && !(Number.isInteger(f['retryAfterSeconds']) && (f['retryAfterSeconds'] as number) >= 0)) {
    problems.push('retryAfterSeconds must be a non-negative integer');
  }
  if (f['rateLimitHeadersOnly'] !== undefined && typeof f['rateLimitHeadersOnly'] !== 'boolean') problems.push('rateLimitHeadersOnly must be a boolean');
  return problems;
}

export class FaultList {
  private faults: { fault: DatadogFault; left: number | undefined }[] = [];

  add(fault: DatadogFault): void {
    this.faults.push({ fault, left: fault.times });
  }

  clear(): void {
    this.faults = [];
  }

  /** The oldest active fault, one use of it consumed; undefined when none. */
  next(): DatadogFault | undefined {
    const f = this.faults[0];
    if (f === undefined) return undefined;
    if (f.left !== undefined && --f.left <= 0) this.faults.shift();
    return f.fault;
  }
}
