import type { ChildProcess } from 'node:child_process';

/** A child process started by a test: its stderr so far, its exit, and a stop that waits for it. */
export interface TrackedChild {
  stderr(): string;
  exited: Promise<number | null>;
  hasExited(): boolean;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function trackChild(child: ChildProcess): TrackedChild {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  return {
    stderr: () => stderr,
    exited,
    hasExited: () => done,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

/** Waits for `readyUrl` to answer 200; fails at once, with the child's stderr, if it exits. */
export async function waitReady(t: TrackedChild, readyUrl: string, name: string): Promise<void> {
  await waitUntil(async () => {
    if (t.hasExited()) throw new Error(`${name} exited during startup: ${t.stderr()}`);
    try {
      return (await fetch(readyUrl)).status === 200;
    } catch {
      return false;
    }
  }, 15000, `${name} /ready`);
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
