import type { ErrorFault } from './google-errors';

/**
 * What the fake can do to a KMS call instead of answering it normally:
 * - an ErrorFault answers with Google's error body for it (see google-errors.ts);
 * - 'drop' destroys the socket after reading the request (a network failure);
 * - 'bad-crc' answers with a checksum that does not match the returned bytes;
 * - 'unverified-crc' answers as if the request's checksums had not been received.
 * A fault is set per key (until cleared) or queued for the next N requests (any key).
 * Latency is set globally, per key, or for the next N requests.
 */
export type Fault = ErrorFault | 'drop' | 'bad-crc' | 'unverified-crc';
export const FAULTS: readonly Fault[] = [
  'unauthenticated',
  'permission-denied',
  'not-found',
  'disabled',
  'throttle',
  'billing-disabled',
  'service-disabled',
  'unavailable',
  'drop',
  'bad-crc',
  'unverified-crc',
];

export function isFault(v: unknown): v is Fault {
  return typeof v === 'string' && (FAULTS as readonly string[]).includes(v);
}

export interface FaultTarget {
  /** A CryptoKey name: the fault stays on that key until cleared. */
  key?: string;
  /** Without key: how many of the next requests get it (default 1). */
  times?: number;
}

export class FaultPlan {
  private queued: Fault[] = [];
  private readonly perKey = new Map<string, Fault>();
  private latencyMs = 0;
  private readonly keyLatency = new Map<string, number>();
  private queuedLatency: number[] = [];

  inject(fault: Fault, target: FaultTarget = {}): void {
    if (target.key !== undefined) this.perKey.set(target.key, fault);
    else for (let i = 0; i < (target.times ?? 1); i++) this.queued.push(fault);
  }

  /** Clears the faults of one key, or every fault when no key is given. */
  clear(key?: string): void {
    if (key !== undefined) {
      this.perKey.delete(key);
      return;
    }
    this.perKey.clear();
    this.queued = [];
  }

  /** Latency in ms for every request (no key), one key, or the next `times` requests. */
  setLatency(ms: number, target: FaultTarget = {}): void {
    if (target.key !== undefined) this.keyLatency.set(target.key, ms);
    else if (target.times !== undefined) for (let i = 0; i < target.times; i++) this.queuedLatency.push(ms);
    else this.latencyMs = ms;
  }

  reset(): void {
    this.clear();
    this.latencyMs = 0;
    this.keyLatency.clear();
    this.queuedLatency = [];
  }

  /** The fault and latency for one request on `key`; consumes queued entries. */
  next(key: string): { fault: Fault | undefined; latencyMs: number } {
    const fault = this.queued.shift() ?? this.perKey.get(key);
    const latencyMs = this.queuedLatency.shift() ?? this.keyLatency.get(key) ?? this.latencyMs;
    return { fault, latencyMs };
  }
}
