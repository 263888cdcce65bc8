import { untilDeadline } from './deadline';

const later = <T>(ms: number, v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), ms));

describe('untilDeadline', () => {
  it('resolves with the call when it is in time', async () => {
    await expect(untilDeadline(new AbortController().signal, later(5, 'ok'))).resolves.toBe('ok');
  });

  it('passes the call failure through', async () => {
    await expect(untilDeadline(new AbortController().signal, Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('rejects with AbortError at the deadline and hands a late result to onLate', async () => {
    const c = new AbortController();
    const late: string[] = [];
    const p = untilDeadline(c.signal, later(50, 'dek'), (v) => late.push(v));
    setTimeout(() => c.abort(), 5);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await later(80, undefined);
    expect(late).toEqual(['dek']);
  });

  it('rejects at once when already aborted', async () => {
    const c = new AbortController();
    c.abort();
    await expect(untilDeadline(c.signal, later(50, 'x'))).rejects.toMatchObject({ name: 'AbortError' });
  });
});
