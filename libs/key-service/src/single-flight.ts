/** At most one call in flight per key; later callers for the same key share its promise. */
export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  /** `shared` is true when the caller joined a call already in flight. */
  run(key: K, fn: () => Promise<V>): { promise: Promise<V>; shared: boolean } {
    const existing = this.inFlight.get(key);
    if (existing !== undefined) return { promise: existing, shared: true };
    const promise = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { promise, shared: false };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
