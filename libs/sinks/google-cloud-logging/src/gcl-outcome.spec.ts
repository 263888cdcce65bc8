import { LOG_ENTRY_ERRORS } from './gcl-client';
import { classifyWriteError, entryFailures, retryDelayMs, scrubReason } from './gcl-outcome';

const googleError = (code: number, message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { code, ...extra });

describe('google-cloud-logging outcome classification', () => {
  it('maps whole-request statuses', () => {
    const kind = (code: number): unknown => {
      const f = classifyWriteError(googleError(code, 'm'), []);
      return f.kind === 'whole' ? [f.outcome.kind, f.outcome.kind === 'retry' ? f.outcome.auth === true : false] : f.kind;
    };
    expect(kind(3)).toEqual(['reject', false]); // INVALID_ARGUMENT
    expect(kind(5)).toEqual(['reject', false]); // NOT_FOUND
    expect(kind(9)).toEqual(['reject', false]); // FAILED_PRECONDITION
    expect(kind(16)).toEqual(['retry', true]); // UNAUTHENTICATED
    expect(kind(7)).toEqual(['retry', true]); // PERMISSION_DENIED
    expect(kind(14)).toEqual(['retry', false]); // UNAVAILABLE
    expect(kind(4)).toEqual(['retry', false]); // DEADLINE_EXCEEDED
    expect(kind(13)).toEqual(['retry', false]); // INTERNAL
    expect(kind(8)).toEqual(['retry', false]); // RESOURCE_EXHAUSTED
  });

  it('reads google.rpc.RetryInfo (seconds + nanos) on RESOURCE_EXHAUSTED', () => {
    const e = googleError(8, 'quota', { statusDetails: [{ reason: 'RATE_LIMIT_EXCEEDED' }, { retryDelay: { seconds: '2', nanos: 500_000_000 } }] });
    expect(retryDelayMs(e)).toBe(2500);
    expect(classifyWriteError(e, [])).toEqual({ kind: 'whole', outcome: { kind: 'retry', reason: 'Cloud Logging answered RESOURCE_EXHAUSTED: quota', retryAfterMs: 2500 } });
  });

  it('a token endpoint 5xx or 429 is a plain retry; a 4xx is auth', () => {
    const gaxios = (status: number, data: unknown): Error => Object.assign(new Error('x'), { code: status, response: { status, data } });
    expect(classifyWriteError(gaxios(503, 'down'), [])).toEqual({ kind: 'whole', outcome: { kind: 'retry', reason: 'Cloud Logging token endpoint answered 503 (no OAuth error)' } });
    expect(classifyWriteError(gaxios(429, { error: 'rate_limit_exceeded' }), []).kind).toBe('whole');
    expect(classifyWriteError(gaxios(400, { error: 'invalid_grant' }), [])).toEqual({
      kind: 'whole',
      outcome: { kind: 'retry', auth: true, reason: 'Cloud Logging token endpoint answered 400 (invalid_grant)' },
    });
  });

  it('an unreadable answer is a retry', () => {
    expect(classifyWriteError(new SyntaxError('Unexpected token <'), [])).toEqual({ kind: 'whole', outcome: { kind: 'retry', reason: 'Cloud Logging gave an unreadable answer' } });
  });

  it('per-entry errors map request indices back to batch indices, retrying transient statuses', () => {
    const e = googleError(3, 'bad', { [LOG_ENTRY_ERRORS]: { '0': { code: 3, message: 'bad entry' }, '1': { code: 14, message: 'later' }, '9': { code: 3, message: 'no such entry' } } });
    const f = classifyWriteError(e, []);
    expect(f.kind).toBe('entries');
    if (f.kind !== 'entries') return;
    // Batch item 1 was not sent (too large): request entries 0, 1 are batch items 0, 2.
    expect(entryFailures(f.errors, [0, 2], [])).toEqual([
      { index: 0, retry: false, reason: 'Cloud Logging refused the entry (INVALID_ARGUMENT): bad entry' },
      { index: 2, retry: true, reason: 'Cloud Logging refused the entry (UNAVAILABLE): later' },
    ]);
  });

  it('scrubs credentials, bearer tokens, JWTs and PEM blocks from reasons', () => {
    const text = scrubReason('key s3cr3t-value Bearer ya29.abc eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.sig -----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----', ['s3cr3t-value']);
    expect(text).not.toMatch(/s3cr3t|ya29\.abc|eyJ|MII/);
  });
});
