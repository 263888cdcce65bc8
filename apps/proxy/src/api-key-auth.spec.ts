import { randomBytes } from 'node:crypto';
import { ApiKeyAuth } from './api-key-auth';

const KEY_1 = randomBytes(24).toString('base64');
const KEY_2 = randomBytes(24).toString('base64');

describe('ApiKeyAuth', () => {
  const auth = new ApiKeyAuth([KEY_1, KEY_2]);

  it('accepts "cmk <API_KEY>"', () => {
    expect(auth.check(`cmk ${KEY_1}`)).toBe(true);
  });

  it('accepts "cmk <API_KEY_2>" during rotation', () => {
    expect(auth.check(`cmk ${KEY_2}`)).toBe(true);
  });

  it('accepts only the configured key when there is one', () => {
    const single = new ApiKeyAuth([KEY_1]);
    expect(single.check(`cmk ${KEY_1}`)).toBe(true);
    expect(single.check(`cmk ${KEY_2}`)).toBe(false);
  });

  it('rejects a missing header', () => {
    expect(auth.check(undefined)).toBe(false);
    expect(auth.check('')).toBe(false);
  });

  it('rejects a malformed header', () => {
    for (const h of ['cmk', 'cmk ', KEY_1, `cmk  ${KEY_1}`, `cmk ${KEY_1} `, ` cmk ${KEY_1}`, `cmk\t${KEY_1}`, `cmk${KEY_1}`]) {
      expect(auth.check(h)).toBe(false);
    }
  });

  it('rejects another prefix', () => {
    for (const h of [`Bearer ${KEY_1}`, `Basic ${KEY_1}`, `CMK ${KEY_1}`, `Cmk ${KEY_1}`]) expect(auth.check(h)).toBe(false);
  });

  it('rejects another key, a prefix of the key, and the key with extra characters', () => {
    expect(auth.check(`cmk ${randomBytes(24).toString('base64')}`)).toBe(false);
    expect(auth.check(`cmk ${KEY_1.slice(0, -1)}`)).toBe(false);
    expect(auth.check(`cmk ${KEY_1}A`)).toBe(false);
    expect(auth.check(`cmk ${KEY_1}${KEY_2}`)).toBe(false);
  });

  it('requires at least one key', () => {
    expect(() => new ApiKeyAuth([])).toThrow('at least one API key is required');
  });
});
