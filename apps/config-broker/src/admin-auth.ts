import { createHash, timingSafeEqual } from 'node:crypto';
import { BrokerError } from './broker-error';

/**
 * Vendor-admin authentication: `Authorization: Bearer <token>`. Both sides are hashed first, so
 * the comparison is constant-time whatever the header's length and the token never sits in a
 * comparison buffer. Precondition: `token` is non-empty (the settings require 16+ characters).
 */
export function adminAuthenticator(token: string): (authorization: string | undefined) => void {
  if (token === '') throw new Error('the admin token must not be empty');
  const expected = digest(`Bearer ${token}`);
  return (authorization) => {
    const given = digest(authorization ?? '');
    // Evaluate the comparison even when the header is absent, so timing reveals nothing.
    const ok = timingSafeEqual(given, expected);
    if (!ok || authorization === undefined) {
      throw new BrokerError('unauthorized', 'Authorization must be "Bearer <admin token>" with the broker admin token');
    }
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time equality of two secret strings of any lengths (both hashed first). */
export function equalSecrets(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
