import { RestError } from '@azure/core-rest-pipeline';
import { classifyUploadError, uploadOutcome } from './upload-outcome';

const retry = (reason: string, extra: object = {}) => ({ kind: 'retry' as const, reason, ...extra });
const reject = (reason: string) => ({ kind: 'reject' as const, reason });

describe('uploadOutcome', () => {
  it('no failed call: delivered', () => {
    expect(uploadOutcome(3, [])).toEqual({ kind: 'delivered' });
  });

  it('every call failed alike: one whole-batch outcome, auth and the longest Retry-After kept', () => {
    expect(uploadOutcome(4, [{ verdict: reject('a'), indices: [0, 1] }, { verdict: reject('b'), indices: [2, 3] }])).toEqual(reject('a'));
    expect(
      uploadOutcome(4, [
        { verdict: retry('slow', { retryAfterMs: 2000 }), indices: [0, 1] },
        { verdict: retry('who', { auth: true }), indices: [2, 3] },
      ]),
    ).toEqual(retry('who', { auth: true, retryAfterMs: 2000 }));
  });

  it('some calls failed, or failures of both kinds: partial, each item with its call\'s retry flag', () => {
    expect(uploadOutcome(4, [{ verdict: retry('r'), indices: [3, 2] }])).toEqual({
      kind: 'partial',
      failed: [
        { index: 2, retry: true, reason: 'r' },
        { index: 3, retry: true, reason: 'r' },
      ],
    });
    expect(uploadOutcome(2, [{ verdict: reject('x'), indices: [0] }, { verdict: retry('y'), indices: [1] }])).toEqual({
      kind: 'partial',
      failed: [
        { index: 0, retry: false, reason: 'x' },
        { index: 1, retry: true, reason: 'y' },
      ],
    });
  });
});

describe('classifyUploadError', () => {
  it('keeps the service code, drops the message, honours Retry-After', () => {
    const e = new RestError('Stream X is not declared', { statusCode: 429, code: 'TooManyRequests' });
    Object.defineProperty(e, 'response', { value: { headers: { get: (n: string) => (n === 'retry-after' ? '12' : undefined) } } });
    expect(classifyUploadError(e, [])).toEqual(retry('Azure Monitor answered 429: TooManyRequests', { retryAfterMs: 12_000 }));
    expect(classifyUploadError(new RestError('m', { statusCode: 413, code: 'ContentLengthLimitExceeded' }), [])).toEqual(
      reject('Azure Monitor answered 413: ContentLengthLimitExceeded'),
    );
    expect(classifyUploadError(new RestError('m', { statusCode: 502 }), [])).toEqual(retry('Azure Monitor answered 502'));
  });

  it('scrubs credentials from a reason', () => {
    const e = new RestError('m', { statusCode: 400, code: 'Bad-s3cr3t-value' });
    expect(classifyUploadError(e, ['s3cr3t-value'])).toEqual(reject('Azure Monitor answered 400: Bad-[redacted]'));
  });

  it('abort, transport and unknown errors are retries', () => {
    expect(classifyUploadError(Object.assign(new Error('x'), { name: 'AbortError' }), [])).toEqual(retry('Azure Monitor send aborted'));
    expect(classifyUploadError(new RestError('x', { code: 'ECONNRESET' }), [])).toEqual(retry('Azure Monitor unreachable (ECONNRESET)'));
    expect(classifyUploadError(new TypeError('boom'), [])).toEqual(retry('Azure Monitor upload failed (TypeError)'));
  });
});
