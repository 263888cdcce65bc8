/** Bounds of the document cache. */
export interface DocumentCacheOptions {
  /** Most bytes of documents kept (0: keep none; every 200 builds its document). */
  maxBytes: number;
  /** A document nobody asked for this long is dropped, ms. */
  maxIdleMs: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

interface Entry {
  sequence: number;
  /** Anything else the document depends on (the account's encryption key). */
  fingerprint: string;
  body: Promise<Buffer>;
  /** 0 while being built. */
  bytes: number;
  lastUsedAt: number;
}

/**
 * The last signed config document of each service account, as the bytes sent, keyed by the
 * sequence it was built at. Sealing every tenant for an account costs seconds of CPU at 100,000
 * tenants, and a change wakes every long-polling proxy of the account at once: they all ask for
 * the same (account, sequence), and one build serves them (requests arriving while it runs join
 * it). A build that fails is not kept. Memory: at most `maxBytes` of documents (least recently
 * used dropped first; a document larger than that is served but not kept), one per account,
 * dropped after `maxIdleMs` without a request. Documents hold only sealed parts (ciphertext for
 * the account's key) and the broker's signature: nothing in clear.
 */
export class DocumentCache {
  /** Map order = least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: DocumentCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Bytes of the documents kept (those being built not counted). */
  get size(): number {
    return this.bytes;
  }

  /** Accounts with a document kept or being built. */
  get count(): number {
    return this.entries.size;
  }

  /**
   * The document of `accountId` at `sequence`: the kept one, the one being built, or `build()`'s.
   * A request that read an older sequence than the one kept gets its own build, not kept.
   */
  async get(accountId: string, sequence: number, fingerprint: string, build: () => Promise<Buffer>): Promise<Buffer> {
    this.sweep();
    const at = this.now();
    const e = this.entries.get(accountId);
    if (e !== undefined && e.sequence === sequence && e.fingerprint === fingerprint) {
      e.lastUsedAt = at;
      this.entries.delete(accountId);
      this.entries.set(accountId, e);
      return e.body;
    }
    if (this.opts.maxBytes <= 0 || (e !== undefined && e.sequence > sequence && e.fingerprint === fingerprint)) return build();
    if (e !== undefined) this.drop(accountId, e);
    const entry: Entry = { sequence, fingerprint, body: build(), bytes: 0, lastUsedAt: at };
    this.entries.set(accountId, entry);
    let body: Buffer;
    try {
      body = await entry.body;
    } catch (err) {
      if (this.entries.get(accountId) === entry) this.entries.delete(accountId);
      throw err;
    }
    if (this.entries.get(accountId) === entry) {
      entry.bytes = body.length;
      this.bytes += body.length;
      this.shrink();
      this.startSweeping();
    }
    return body;
  }

  /** Drops every document and stops the idle sweep. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private drop(accountId: string, e: Entry): void {
    this.entries.delete(accountId);
    this.bytes -= e.bytes;
  }

  /** Least recently used first, built documents only, until within maxBytes. */
  private shrink(): void {
    for (const [id, e] of this.entries) {
      if (this.bytes <= this.opts.maxBytes) return;
      if (e.bytes > 0) this.drop(id, e);
    }
  }

  private sweep(): void {
    const oldest = this.now() - this.opts.maxIdleMs;
    for (const [id, e] of this.entries) if (e.bytes > 0 && e.lastUsedAt < oldest) this.drop(id, e);
    if (this.entries.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private startSweeping(): void {
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.floor(this.opts.maxIdleMs / 2)));
    this.sweeper.unref();
  }
}
