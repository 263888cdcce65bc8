import { DocumentCache } from './document-cache';

/** Builds that count their calls. */
function builds(): { readonly calls: number; next: (body: string) => () => Promise<Buffer> } {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    next: (body: string) => async () => {
      calls++;
      return Buffer.from(body);
    },
  };
}

describe('DocumentCache', () => {
  let clock = 0;
  const cache = (maxBytes = 1000, maxIdleMs = 60_000): DocumentCache => new DocumentCache({ maxBytes, maxIdleMs, now: () => clock });
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('builds once per account and sequence; a new sequence builds again and replaces the old', async () => {
    const c = cache();
    const b = builds();
    expect((await c.get('sa', 1, 'k', b.next('one'))).toString()).toBe('one');
    expect((await c.get('sa', 1, 'k', b.next('again'))).toString()).toBe('one');
    expect(b.calls).toBe(1);
    expect((await c.get('sa', 2, 'k', b.next('two'))).toString()).toBe('two');
    expect(b.calls).toBe(2);
    expect(c.size).toBe(3);
    expect(c.count).toBe(1);
    c.clear();
  });

  it('requests arriving while a build runs join it', async () => {
    const c = cache();
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const build = async (): Promise<Buffer> => {
      calls++;
      await gate;
      return Buffer.from('doc');
    };
    const all = Promise.all(Array.from({ length: 20 }, () => c.get('sa', 7, 'k', build)));
    release();
    expect((await all).map((b) => b.toString())).toEqual(Array(20).fill('doc'));
    expect(calls).toBe(1);
    c.clear();
  });

  it('keeps the documents of different accounts apart, and a different key never gets the kept one', async () => {
    const c = cache();
    expect((await c.get('a', 1, 'k', async () => Buffer.from('for a'))).toString()).toBe('for a');
    expect((await c.get('b', 1, 'k', async () => Buffer.from('for b'))).toString()).toBe('for b');
    expect((await c.get('a', 1, 'other-key', async () => Buffer.from('for a, new key'))).toString()).toBe('for a, new key');
    expect((await c.get('a', 1, 'other-key', async () => Buffer.from('x'))).toString()).toBe('for a, new key');
    c.clear();
  });

  it('a failed build is not kept: the next request builds again', async () => {
    const c = cache();
    await expect(c.get('sa', 1, 'k', async () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(c.count).toBe(0);
    expect((await c.get('sa', 1, 'k', async () => Buffer.from('ok'))).toString()).toBe('ok');
    c.clear();
  });

  it('a request that read an older sequence gets its own document and does not replace the newer one', async () => {
    const c = cache();
    await c.get('sa', 5, 'k', async () => Buffer.from('five'));
    expect((await c.get('sa', 4, 'k', async () => Buffer.from('four'))).toString()).toBe('four');
    expect((await c.get('sa', 5, 'k', async () => Buffer.from('rebuilt'))).toString()).toBe('five');
    c.clear();
  });

  it('stays within maxBytes, dropping the least recently used; a document larger than that is served, not kept', async () => {
    const c = cache(10);
    await c.get('a', 1, 'k', async () => Buffer.from('aaaa'));
    await c.get('b', 1, 'k', async () => Buffer.from('bbbb'));
    await c.get('a', 1, 'k', async () => Buffer.from('unused')); // a is now the most recently used
    await c.get('c', 1, 'k', async () => Buffer.from('cccc'));
    expect(c.size).toBe(8);
    expect((await c.get('b', 1, 'k', async () => Buffer.from('BBBB'))).toString()).toBe('BBBB');
    expect((await c.get('huge', 1, 'k', async () => Buffer.alloc(11))).length).toBe(11);
    expect(c.size).toBeLessThanOrEqual(10);
    expect((await c.get('huge', 1, 'k', async () => Buffer.from('rebuilt'))).toString()).toBe('rebuilt');
    c.clear();
  });

  it('maxBytes 0 keeps nothing', async () => {
    const c = cache(0);
    const b = builds();
    await c.get('sa', 1, 'k', b.next('x'));
    await c.get('sa', 1, 'k', b.next('x'));
    expect(b.calls).toBe(2);
    expect(c.count).toBe(0);
  });

  it('drops a document nobody asked for within maxIdleMs', async () => {
    const c = cache(1000, 60_000);
    await c.get('sa', 1, 'k', async () => Buffer.from('old'));
    clock += 30_000;
    expect((await c.get('sa', 1, 'k', async () => Buffer.from('new'))).toString()).toBe('old');
    clock += 60_001;
    expect((await c.get('sa', 1, 'k', async () => Buffer.from('new'))).toString()).toBe('new');
    c.clear();
  });
});
