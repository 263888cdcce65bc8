import { SingleFlight } from './single-flight';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('concurrent callers for one key share one call', async () => {
    const sf = new SingleFlight<string, number>();
    const d = deferred<number>();
    let calls = 0;
    const fn = () => {
      calls++;
      return d.promise;
    };
    const runs = Array.from({ length: 100 }, () => sf.run('k', fn));
    expect(calls).toBe(1);
    expect(runs.filter((r) => !r.shared)).toHaveLength(1);
    expect(runs[0].shared).toBe(false);
    expect(sf.size).toBe(1);
    d.resolve(42);
    expect(await Promise.all(runs.map((r) => r.promise))).toEqual(Array(100).fill(42));
    expect(sf.size).toBe(0);
  });

  it('different keys run separately', async () => {
    const sf = new SingleFlight<string, string>();
    const a = sf.run('a', async () => 'A');
    const b = sf.run('b', async () => 'B');
    expect(a.shared || b.shared).toBe(false);
    expect([await a.promise, await b.promise]).toEqual(['A', 'B']);
  });

  it('a call after the previous one settled runs again', async () => {
    const sf = new SingleFlight<string, number>();
    let calls = 0;
    await sf.run('k', async () => ++calls).promise;
    const second = sf.run('k', async () => ++calls);
    expect(second.shared).toBe(false);
    expect(await second.promise).toBe(2);
  });

  it('a rejection reaches every sharer and is forgotten', async () => {
    const sf = new SingleFlight<string, number>();
    const d = deferred<number>();
    const a = sf.run('k', () => d.promise);
    const b = sf.run('k', async () => 0);
    d.reject(new Error('kms down'));
    await expect(a.promise).rejects.toThrow('kms down');
    await expect(b.promise).rejects.toThrow('kms down');
    expect(sf.size).toBe(0);
    expect(await sf.run('k', async () => 7).promise).toBe(7);
  });
});
