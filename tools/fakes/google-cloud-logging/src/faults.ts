/**
 * What the fake can do to an entries:write instead of answering it normally:
 * - unavailable: 503 UNAVAILABLE; internal: 500 INTERNAL;
 * - throttle: 429 RESOURCE_EXHAUSTED with Retry-After and google.rpc.RetryInfo;
 * - reject: 400 INVALID_ARGUMENT for the whole request (nothing written);
 * - partial: the entries at rejectIndices fail with INVALID_ARGUMENT and those at retryIndices
 *   with UNAVAILABLE (WriteLogEntriesPartialErrors); with partialSuccess the others are written;
 * - unauthenticated / permission-denied: 401 / 403 as for a revoked token or a missing IAM role;
 * - hang: reads the request and never answers; drop: destroys the connection.
 * A fault stays until cleared, or applies to the next `times` requests only.
 */
export type FakeFault =
  | { kind: 'unavailable' }
  | { kind: 'internal' }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'reject' }
  | { kind: 'partial'; rejectIndices: readonly number[]; retryIndices: readonly number[] }
  | { kind: 'unauthenticated' }
  | { kind: 'permission-denied' }
  | { kind: 'hang' }
  | { kind: 'drop' };

export const FAULT_KINDS: readonly FakeFault['kind'][] = ['unavailable', 'internal', 'throttle', 'reject', 'partial', 'unauthenticated', 'permission-denied', 'hang', 'drop'];

const indices = (v: unknown): v is number[] => Array.isArray(v) && v.every((i) => Number.isInteger(i) && i >= 0);

/** A fault from untrusted JSON (the control API), or a problem. */
export function parseFault(v: unknown): FakeFault | string {
  const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  const kind = o['kind'];
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) return `kind must be one of ${FAULT_KINDS.join(', ')}`;
  if (kind === 'throttle') {
    const s = o['retryAfterSeconds'] ?? 1;
    return typeof s === 'number' && Number.isInteger(s) && s >= 0 ? { kind, retryAfterSeconds: s } : 'retryAfterSeconds must be a non-negative integer';
  }
  if (kind === 'partial') {
    const r = o['rejectIndices'] ?? [];
    const t = o['retryIndices'] ?? [];
    return indices(r) && indices(t) ? { kind, rejectIndices: r, retryIndices: t } : 'rejectIndices and retryIndices must be arrays of indices';
  }
  return { kind } as FakeFault;
}

export class FaultPlan {
  private standing: FakeFault | undefined;
  private queued: FakeFault[] = [];
  private latencyMs = 0;

  /** A fault for every request until cleared, or for the next `times` requests. */
  inject(fault: FakeFault, times?: number): void {
    if (times === undefined) this.standing = fault;
    else for (let i = 0; i < times; i++) this.queued.push(fault);
  }

  clear(): void {
    this.standing = undefined;
    this.queued = [];
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  reset(): void {
    this.clear();
    this.latencyMs = 0;
  }

  /** The fault and latency of the next request (consumes a queued fault). */
  next(): { fault: FakeFault | undefined; latencyMs: number } {
    return { fault: this.queued.shift() ?? this.standing, latencyMs: this.latencyMs };
  }
}
