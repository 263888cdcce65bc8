import { setImmediate as tick } from 'node:timers/promises';
import { RandomPool } from './random-pool';

function takeMany(pool: RandomPool, count: number, n: number): Buffer[] {
  return Array.from({ length: count }, () => pool.take(n));
}

function expectAllDistinct(chunks: Buffer[]): void {
  expect(new Set(chunks.map((b) => b.toString('hex'))).size).toBe(chunks.length);
}

describe('RandomPool', () => {
  it('returns exactly the requested number of bytes', () => {
    const pool = new RandomPool(1024);
    for (const n of [1, 12, 32, 44, 1024]) expect(pool.take(n)).toHaveLength(n);
  });

  it('precondition 0 < n <= size: other requests are refused', () => {
    const pool = new RandomPool(64);
    expect(() => pool.take(0)).toThrow(RangeError);
    expect(() => pool.take(-1)).toThrow(RangeError);
    expect(() => pool.take(65)).toThrow(RangeError);
  });

  it('never repeats over 10,000 takes of 44 bytes across many refills (default size)', () => {
    const chunks = takeMany(new RandomPool(), 10_000, 44); // 440,000 bytes: several 64 KiB refills
    expectAllDistinct(chunks);
  });

  it('never repeats with a tiny pool refilled synchronously on almost every take', () => {
    expectAllDistinct(takeMany(new RandomPool(100), 10_000, 44));
  });

  it('never repeats when refills come from the asynchronously filled spare', async () => {
    const pool = new RandomPool(4096);
    const chunks: Buffer[] = [];
    for (let round = 0; round < 50; round++) {
      chunks.push(...takeMany(pool, 100, 44)); // 4,400 bytes: one swap per round
      await tick(); // let the spare refill complete
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
    expectAllDistinct(chunks);
  });

  it('hands out copies: bytes already given out do not change on later takes or refills', () => {
    const pool = new RandomPool(128);
    const first = pool.take(44);
    const snapshot = Buffer.from(first);
    takeMany(pool, 100, 44);
    expect(first.equals(snapshot)).toBe(true);
  });

  it('bytes look random (not zero-filled, roughly balanced)', () => {
    const all = Buffer.concat(takeMany(new RandomPool(1024), 1000, 44));
    let ones = 0;
    for (const byte of all) for (let i = 0; i < 8; i++) ones += (byte >> i) & 1;
    const ratio = ones / (all.length * 8);
    expect(ratio).toBeGreaterThan(0.48);
    expect(ratio).toBeLessThan(0.52);
    expect(all.filter((b) => b === 0).length).toBeLessThan(all.length / 100);
  });
});
