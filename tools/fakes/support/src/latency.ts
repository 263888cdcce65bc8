import type { ServerResponse } from 'node:http';

/**
 * Timers of injected latency, tracked so that stopping a fake can cancel them: a delayed answer
 * must not outlive the fake (a cancelled sleep never resolves; its request is closed by stop()).
 */
export class LatencyTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Resolves after `ms` milliseconds, unless clear() is called first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /** Cancels every pending sleep. */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * Waits `ms` milliseconds, or less when the client goes away meanwhile (the response closes), so
 * a fake can tell an abandoned request (e.g. one past its client's deadline) from one to answer.
 */
export function delayUnlessClosed(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}
