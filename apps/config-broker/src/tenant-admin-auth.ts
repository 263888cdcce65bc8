import { createHash, createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { BrokerRepository } from '@tsp/broker-store';
import { adminAuthenticator, equalSecrets } from './admin-auth';
import { BrokerError } from './broker-error';
import { Principal, VENDOR_ADMIN } from './principal';

/**
 * Logins of the admin API and web page.
 *
 * Sessions are stateless tokens `tsps1.<subject>.<expiry unix s>.<nonce>.<HMAC-SHA256>` under a key
 * derived from the broker master key (so every broker replica accepts them and a restart keeps
 * people logged in). The subject is 'vendor-admin' or a tenant admin's id; a tenant admin's
 * session ends as soon as the admin is deleted (looked up on every request). Passwords are
 * hashed with scrypt (in the thread pool, never on the event loop); invitation tokens are kept
 * only as SHA-256 hashes. Every comparison of secrets is constant-time.
 */

const SESSION_PREFIX = 'tsps1';
const SESSION_RE = /^tsps1\.(vendor-admin|ta_[0-9a-f]{8,64})\.(\d{1,12})\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 } as const;
export const MIN_PASSWORD_LENGTH = 12;

/**
 * The key sessions and CSRF tokens are signed with, derived from the master key and the admin
 * token (never either itself): changing TSP_BROKER_ADMIN_TOKEN ends every session.
 */
export function sessionKeyFrom(masterKey: Buffer, adminToken: string): Buffer {
  const salt = createHash('sha256').update(adminToken, 'utf8').digest();
  return Buffer.from(hkdfSync('sha256', masterKey, salt, 'tsp-broker admin sessions v1', 32));
}

export interface Session {
  token: string;
  expiresAt: string;
}

export class SessionTokens {
  constructor(
    private readonly key: Buffer,
    private readonly ttlMs: number,
  ) {
    if (key.length !== 32) throw new Error('the session key must be 32 bytes');
  }

  issue(subject: string, nowMs: number): Session {
    const exp = Math.floor((nowMs + this.ttlMs) / 1000);
    // The nonce makes every login's token (and so its CSRF token) different.
    const body = `${SESSION_PREFIX}.${subject}.${exp}.${randomBytes(8).toString('hex')}`;
    return { token: `${body}.${this.mac(body)}`, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The subject of a valid, unexpired token; undefined otherwise. */
  verify(token: string, nowMs: number): string | undefined {
    const m = SESSION_RE.exec(token);
    if (m === null) return undefined;
    const [, subject, exp, nonce, mac] = m as unknown as [string, string, string, string, string];
    if (!equalSecrets(mac, this.mac(`${SESSION_PREFIX}.${subject}.${exp}.${nonce}`))) return undefined;
    return Number(exp) * 1000 > nowMs ? subject : undefined;
  }

  /** The CSRF token of a session (forms of the web page carry it). */
  csrf(sessionToken: string): string {
    return this.mac(`csrf\n${sessionToken}`);
  }

  checkCsrf(sessionToken: string, given: string | undefined): boolean {
    return typeof given === 'string' && equalSecrets(given, this.csrf(sessionToken));
  }

  private mac(s: string): string {
    return createHmac('sha256', this.key).update(s, 'utf8').digest('base64url');
  }
}

/** scrypt runs in libuv's small thread pool: at most this many at once, this many waiting; beyond, 503. */
const SCRYPT_PARALLEL = 2;
const SCRYPT_QUEUE = 64;
let scryptRunning = 0;
const scryptWaiting: (() => void)[] = [];

async function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  if (scryptRunning >= SCRYPT_PARALLEL) {
    if (scryptWaiting.length >= SCRYPT_QUEUE) throw new BrokerError('unavailable', 'too many logins at once; retry in a moment');
    await new Promise<void>((resolve) => scryptWaiting.push(resolve));
  }
  scryptRunning++;
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(password.normalize('NFC'), salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
    );
  } finally {
    scryptRunning--;
    scryptWaiting.shift()?.();
  }
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/** Constant-time check; a missing hash still costs one scrypt (no timing hint that an email is unknown). */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt' || Number(parts[1]) !== SCRYPT.N) return false;
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  const got = await scryptAsync(password, Buffer.from(parts[4] ?? '', 'base64'));
  return expected.length === got.length && timingSafeEqual(expected, got) && stored !== undefined;
}

export function newInviteToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: inviteTokenHash(token) };
}

export function inviteTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new BrokerError('invalid-request', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
}

/**
 * Login attempts, counted BEFORE the password is checked (so parallel guesses count too) and
 * forgotten on success: at most `perAccount` attempts per account and client address within
 * `windowMs`, and `perAddress` per client address over all accounts; beyond either, 429 until the
 * window passes. Keyed by account AND address, so nobody can lock a real admin out from elsewhere.
 * Bounded memory: expired entries are swept first, then the oldest go. Per broker process.
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly perAccount = 5,
    private readonly perAddress = 50,
    private readonly windowMs = 15 * 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  /** Counts one attempt of `account` from `address`; throws 429 when over a limit. */
  attempt(account: string, address: string, nowMs: number): void {
    const keys: [string, number][] = [[`a\n${account}\n${address}`, this.perAccount], [`i\n${address}`, this.perAddress]];
    for (const [key, max] of keys) {
      const e = this.attempts.get(key);
      if (e !== undefined && nowMs - e.since <= this.windowMs && e.count >= max) {
        throw new BrokerError('too-many-requests', 'too many login attempts; try again later');
      }
    }
    for (const [key] of keys) this.count(key, nowMs);
  }

  succeeded(account: string, address: string): void {
    this.attempts.delete(`a\n${account}\n${address}`);
  }

  private count(key: string, nowMs: number): void {
    const e = this.attempts.get(key);
    if (e !== undefined && nowMs - e.since <= this.windowMs) {
      e.count++;
      return;
    }
    this.attempts.delete(key);
    if (this.attempts.size >= this.maxEntries) {
      for (const [k, v] of this.attempts) if (nowMs - v.since > this.windowMs) this.attempts.delete(k);
      if (this.attempts.size >= this.maxEntries) this.attempts.delete(this.attempts.keys().next().value as string);
    }
    this.attempts.set(key, { count: 1, since: nowMs });
  }
}

/**
 * Who sent `Authorization`: the raw admin token or a vendor session → the vendor admin; a tenant
 * admin's session (the admin still exists and is active) → that tenant admin. Otherwise 401.
 */
export function adminPrincipalResolver(opts: { adminToken: string; sessions: SessionTokens; repo: BrokerRepository; now: () => number }) {
  const checkAdminToken = adminAuthenticator(opts.adminToken);
  return async (authorization: string | undefined): Promise<Principal> => {
    const bearer = authorization?.startsWith('Bearer ') === true ? authorization.slice(7) : undefined;
    if (bearer !== undefined && bearer.startsWith(`${SESSION_PREFIX}.`)) {
      const subject = opts.sessions.verify(bearer, opts.now());
      if (subject === VENDOR_ADMIN.id) return VENDOR_ADMIN;
      if (subject !== undefined) {
        const admin = await opts.repo.getTenantAdmin(subject);
        if (admin !== undefined && admin.status === 'active') return { kind: 'tenant-admin', id: admin.id, tenantId: admin.tenantId, email: admin.email };
      }
      throw new BrokerError('unauthorized', 'the session is not valid (expired, the admin was removed or the admin token changed): log in again');
    }
    checkAdminToken(authorization);
    return VENDOR_ADMIN;
  };
}
