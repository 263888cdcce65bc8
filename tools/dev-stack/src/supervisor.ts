import { ChildProcess, spawn } from 'node:child_process';

export interface ChildSpec {
  name: string;
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Runs children and restarts one that dies unexpectedly (with a capped backoff), reporting each
 * restart, as an orchestrator would. `stop()` sends SIGTERM to all and waits for them.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(private readonly report: (line: string) => void) {}

  start(spec: ChildSpec, attempt = 0): void {
    // Nothing starts once stop() was called (start-up may still be under way then).
    if (this.stopping) return;
    const child = spawn(process.execPath, [spec.script, ...(spec.args ?? [])], { env: spec.env, stdio: 'inherit' });
    this.children.set(spec.name, child);
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      // A child that ran for a while gets a fresh backoff.
      const next = Date.now() - startedAt > 30_000 ? 0 : attempt + 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(next, 6));
      this.report(`${spec.name} exited (${signal ?? `code ${String(code)}`}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!this.stopping) this.start(spec, next);
      }, delay);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const waits = [...this.children.values()].map(
      (c) => new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      }),
    );
    await Promise.all(waits);
  }
}
