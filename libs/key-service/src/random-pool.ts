import { randomFill, randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn from a buffer filled in bulk: one `randomFill` of 64 KiB costs about as
 * much as a handful of `randomBytes(32)` calls. Each byte is handed out once; `take` returns a
 * copy, so a refill never changes bytes already given out. A spare buffer is refilled
 * asynchronously, so the hot path only falls back to a synchronous fill when it outruns it.
 */
export class RandomPool {
  private current: Buffer;
  private offset = 0;
  private spare: Buffer | undefined;
  private refilling = false;

  constructor(private readonly size = 64 * 1024) {
    this.current = randomFillSync(Buffer.allocUnsafeSlow(size));
    this.refillSpare();
  }

  /** Precondition: 0 < n <= size. Returns n fresh random bytes (a copy). */
  take(n: number): Buffer {
    this.checkSize(n);
    const out = Buffer.allocUnsafe(n);
    this.fill(out);
    return out;
  }

  /** Fills `target` with fresh random bytes, each handed out once and zeroed in the pool. */
  fill(target: Uint8Array): void {
    const n = target.length;
    this.checkSize(n);
    if (this.offset + n > this.size) this.swap();
    target.set(this.current.subarray(this.offset, this.offset + n));
    // Never hand the same bytes out twice, even if a copy of them leaks elsewhere later.
    this.current.fill(0, this.offset, this.offset + n);
    this.offset += n;
  }

  private checkSize(n: number): void {
    if (!(n > 0 && n <= this.size)) throw new RangeError('random pool request out of range');
  }

  private swap(): void {
    if (this.spare !== undefined) {
      this.current = this.spare;
      this.spare = undefined;
    } else {
      randomFillSync(this.current);
    }
    this.offset = 0;
    this.refillSpare();
  }

  private refillSpare(): void {
    if (this.refilling || this.spare !== undefined) return;
    this.refilling = true;
    randomFill(Buffer.allocUnsafeSlow(this.size), (err, buf) => {
      this.refilling = false;
      if (err === null) this.spare = buf;
    });
  }
}
