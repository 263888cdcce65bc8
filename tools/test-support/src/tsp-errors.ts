import { TspError } from '@tsp/tsp-protocol';

/**
 * The TspError that a call throws or rejects with; fails the test when it succeeds or fails
 * otherwise. Pass a function for calls that may throw synchronously (the hot-path methods do).
 */
export async function tspErrorOf(call: Promise<unknown> | (() => unknown)): Promise<TspError> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (e) {
    if (e instanceof TspError) return e;
    throw new Error(`expected a TspError, got ${String(e)}`);
  }
  throw new Error('expected a TspError, the call succeeded');
}

/** The errorCode a Tenant Security Client call fails with, or undefined when it succeeds. */
export async function clientErrorCode(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (e) {
    return (e as { errorCode?: number }).errorCode;
  }
}

/** The message a promise rejects with; fails the test when it resolves. */
export async function rejectionMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
}
