import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);
  const at = { table: 'kms_configs', rowId: 7, field: 'credentials' };

  it('round-trips with a version prefix and a fresh IV per value', () => {
    const a = box.seal('hunter2-plaintext', at);
    const b = box.seal('hunter2-plaintext', at);
    expect(a.startsWith('v1:')).toBe(true);
    expect(a).not.toEqual(b);
    expect(a).not.toContain('hunter2');
    expect(box.open(a, at)).toBe('hunter2-plaintext');
    expect(box.openJson(box.sealJson({ k: [1, 'x'] }, at), at)).toEqual({ k: [1, 'x'] });
  });

  it.each([
    ['another row', { ...at, rowId: 8 }],
    ['another field', { ...at, field: 'key_path' }],
    ['another table', { ...at, table: 'tenant_secrets' }],
  ])('does not open a value moved to %s', (_what, where) => {
    const sealed = box.seal('hunter2-plaintext', at);
    expect(() => box.open(sealed, where)).toThrow(SecretBoxError);
  });

  it('fails clearly on a wrong key, tampering, an unknown version or truncation, without values', () => {
    const sealed = box.seal('hunter2-plaintext', at);
    const messages: string[] = [];
    const attempt = (fn: () => unknown): void => {
      try {
        fn();
        messages.push('opened');
      } catch (err) {
        expect(err).toBeInstanceOf(SecretBoxError);
        messages.push((err as Error).message);
      }
    };
    attempt(() => new SecretBox(randomBytes(32)).open(sealed, at));
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 0x80;
    attempt(() => box.open(`v1:${raw.toString('base64')}`, at));
    attempt(() => box.open(`v2:${sealed.slice(3)}`, at));
    attempt(() => box.open('v1:AAAA', at));
    expect(messages).toEqual([
      expect.stringMatching(/does not open/),
      expect.stringMatching(/does not open/),
      expect.stringMatching(/unknown format version/),
      expect.stringMatching(/truncated/),
    ]);
    for (const m of messages) {
      expect(m).toContain('kms_configs.credentials of row 7');
      expect(m).not.toContain('hunter2');
      expect(m).not.toContain(sealed.slice(3, 20));
      expect(m).not.toContain(key.toString('hex'));
    }
  });

  it('needs a 32-byte key and never shows it', () => {
    expect(() => new SecretBox(randomBytes(31))).toThrow('the broker master key must be 32 bytes');
    expect(() => new SecretBox('k'.repeat(32) as unknown as Buffer)).toThrow('the broker master key must be 32 bytes');
    const shown = inspect(box, { showHidden: true, depth: 5 }) + JSON.stringify(box);
    expect(shown).not.toContain(key.toString('hex'));
    expect(shown).not.toContain(key.toString('base64'));
    expect(shown).not.toMatch(new RegExp(key.subarray(0, 4).toString('hex').match(/../g)!.join(' ')));
  });

  it('copies the key: zeroing the caller buffer does not change it', () => {
    const k = randomBytes(32);
    const b = new SecretBox(k);
    const sealed = b.seal('x', at);
    k.fill(0);
    expect(b.open(sealed, at)).toBe('x');
  });
});
