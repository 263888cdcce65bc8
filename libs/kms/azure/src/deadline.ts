/**
 * Settles with `call`, or rejects with an AbortError as soon as `signal` aborts, whichever comes
 * first. The SDK gets the same signal, but not every step honours it (token acquisition inside
 * MSAL, for one), so this guarantees the caller's deadline. `onLate` sees a result that arrives
 * after the deadline (to wipe key material nobody will read).
 */
export function untilDeadline<T>(signal: AbortSignal, call: Promise<T>, onLate?: (late: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      const e = new Error('The operation was aborted at its deadline');
      e.name = 'AbortError';
      reject(e);
    };
    call.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (done) onLate?.(v);
        else {
          done = true;
          resolve(v);
        }
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          reject(e);
        }
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
