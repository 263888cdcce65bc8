import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import { BaseKmsProvider } from './base-provider';
import type { KmsCallContext } from './kms-provider';
import { endpointProblems } from './endpoint';

/** A provider whose SDK calls fail with the scripted errors, in order, then succeed. */
class Scripted extends BaseKmsProvider {
  readonly type = 'local' as const;
  calls = 0;
  constructor(private readonly failures: unknown[]) {
    super();
  }
  protected async doWrap(): Promise<Uint8Array> {
    this.calls++;
    const f = this.failures.shift();
    if (f !== undefined) throw f;
    return Buffer.alloc(40, 1);
  }
  protected async doUnwrap(): Promise<Buffer> {
    this.calls++;
    const f = this.failures.shift();
    if (f !== undefined) throw f;
    return Buffer.alloc(32, 2);
  }
  protected mapError(e: unknown): TspError {
    return new TspError(String(e).includes('ECONNRESET') ? ErrorCode.KmsUnreachable : ErrorCode.KmsThrottled, String(e));
  }
}

const ctx = (signal = new AbortController().signal): KmsCallContext => ({ tenantId: 't', kmsConfigId: 1, signal });

test('a network failure (208) is retried exactly once, then succeeds', async () => {
  const p = new Scripted([new Error('ECONNRESET')]);
  await expect(p.wrap(Buffer.alloc(32), ctx())).resolves.toHaveLength(40);
  expect(p.calls).toBe(2);
});

test('two network failures give 208 after exactly two calls', async () => {
  const p = new Scripted([new Error('ECONNRESET'), new Error('ECONNRESET'), new Error('ECONNRESET')]);
  await expect(p.unwrap(Buffer.alloc(10), ctx())).rejects.toMatchObject({ code: 208 });
  expect(p.calls).toBe(2);
});

test('other failures are not retried', async () => {
  const p = new Scripted([new Error('Throttling')]);
  await expect(p.wrap(Buffer.alloc(32), ctx())).rejects.toMatchObject({ code: 209 });
  expect(p.calls).toBe(1);
});

test('no retry once the deadline has passed', async () => {
  const c = new AbortController();
  c.abort();
  const p = new Scripted([new Error('ECONNRESET')]);
  await expect(p.wrap(Buffer.alloc(32), ctx(c.signal))).rejects.toMatchObject({ code: 208 });
  expect(p.calls).toBe(1);
});

test('endpoint overrides: https anywhere, http only on loopback, no credentials', () => {
  expect(endpointProblems(undefined, 'endpoint')).toEqual([]);
  expect(endpointProblems('https://kms.eu-central-1.amazonaws.com', 'endpoint')).toEqual([]);
  expect(endpointProblems('http://127.0.0.1:4599', 'endpoint')).toEqual([]);
  expect(endpointProblems('http://kms.example.com', 'endpoint')).toEqual(['endpoint may use http:// only for a loopback host']);
  expect(endpointProblems('https://user:pw@kms.example.com', 'endpoint')).toEqual(['endpoint must not carry credentials']);
  expect(endpointProblems('ftp://x', 'endpoint')[0]).toContain('https://');
  expect(endpointProblems(5, 'endpoint')).toEqual(['endpoint must be a URL string']);
});
