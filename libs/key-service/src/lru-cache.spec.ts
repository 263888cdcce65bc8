import { LruCache } from './lru-cache';

const FAR = Number.MAX_SAFE_INTEGER;

describe('LruCache', () => {
  it('evicts the least recently used entry when over capacity, calling onEvict', () => {
    const evicted: string[] = [];
    const c = new LruCache<string, string>(3, (v) => evicted.push(v));
    c.set('a', 'A', FAR);
    c.set('b', 'B', FAR);
    c.set('c', 'C', FAR);
    expect(c.get('a', 0)).toBe('A'); // a is now the most recent
    c.set('d', 'D', FAR); // evicts b
    expect(evicted).toEqual(['B']);
    c.set('e', 'E', FAR); // evicts c
    expect(evicted).toEqual(['B', 'C']);
    expect(c.size).toBe(3);
    expect(c.get('b', 0)).toBeUndefined();
    expect(c.get('c', 0)).toBeUndefined();
    expect([c.get('a', 0), c.get('d', 0), c.get('e', 0)]).toEqual(['A', 'D', 'E']);
  });

  it('setting an existing key refreshes its recency', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1, FAR);
    c.set('b', 2, FAR);
    c.set('a', 3, FAR);
    c.set('c', 4, FAR); // evicts b, not a
    expect(c.get('a', 0)).toBe(3);
    expect(c.get('b', 0)).toBeUndefined();
  });

  it('an entry expires at its expiresAt, and onEvict sees it', () => {
    const evicted: number[] = [];
    const c = new LruCache<string, number>(10, (v) => evicted.push(v));
    c.set('k', 1, 1000);
    expect(c.get('k', 999)).toBe(1);
    expect(evicted).toEqual([]);
    expect(c.get('k', 1000)).toBeUndefined();
    expect(evicted).toEqual([1]);
    expect(c.size).toBe(0);
  });

  it('replacing a value evicts the old one; re-setting the same value does not', () => {
    const evicted: object[] = [];
    const c = new LruCache<string, object>(10, (v) => evicted.push(v));
    const v1 = { n: 1 };
    const v2 = { n: 2 };
    c.set('k', v1, FAR);
    c.set('k', v1, FAR);
    expect(evicted).toEqual([]);
    c.set('k', v2, FAR);
    expect(evicted).toEqual([v1]);
    expect(c.get('k', 0)).toBe(v2);
  });

  it('delete, deleteWhere and clear call onEvict for each entry removed', () => {
    const evicted: number[] = [];
    const c = new LruCache<string, number>(10, (v) => evicted.push(v));
    for (let i = 1; i <= 5; i++) c.set(`k${i}`, i, FAR);
    c.delete('k1');
    c.delete('missing');
    expect(evicted).toEqual([1]);
    expect(c.deleteWhere((_k, v) => v % 2 === 0)).toBe(2);
    expect(evicted.sort()).toEqual([1, 2, 4]);
    expect(c.size).toBe(2);
    c.clear();
    expect(evicted.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(c.size).toBe(0);
  });

  it('wipes buffers it evicts when told to', () => {
    const c = new LruCache<string, Buffer>(1, (b) => b.fill(0));
    const key = Buffer.alloc(32, 0xab);
    c.set('a', key, FAR);
    c.set('b', Buffer.alloc(32, 1), FAR);
    expect(key.every((x) => x === 0)).toBe(true);
  });
});
