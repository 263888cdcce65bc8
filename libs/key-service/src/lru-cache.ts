/**
 * A bounded LRU with per-entry expiry, on Map insertion order. `onEvict` lets the owner wipe
 * key material when an entry leaves. A hit moves its entry to the young end at most once per
 * RECENCY_GRANULARITY_MS (a hot key is hit thousands of times a second; moving it every time
 * costs a Map delete and insert each), which is exact enough for eviction order.
 */
const RECENCY_GRANULARITY_MS = 1000;

export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; expiresAt: number; touchedAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K, now: number): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    if (now - e.touchedAt >= RECENCY_GRANULARITY_MS) {
      e.touchedAt = now;
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e.value;
  }

  set(key: K, value: V, expiresAt: number): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      if (old.value !== value) this.onEvict?.(old.value);
    }
    this.map.set(key, { value, expiresAt, touchedAt: -Infinity });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as K;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.onEvict?.(e.value);
  }

  /** Removes every entry for which `drop` is true. */
  deleteWhere(drop: (key: K, value: V) => boolean): number {
    let n = 0;
    for (const [k, e] of this.map) {
      if (drop(k, e.value)) {
        this.delete(k);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.deleteWhere(() => true);
  }
}
