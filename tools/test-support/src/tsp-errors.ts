import { TspError } from '@tsp/tsp-protocol';

/** The TspError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function tspErrorOf(p: Promise<unknown>): Promise<TspError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TspError) return e;
    throw new Error(`expected a TspError, got ${String(e)}`);
  }
  throw new Error('expected a TspError, the call succeeded');
}
