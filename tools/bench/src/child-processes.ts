import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A child we started, with a promise of its exit and the last part of its stderr. */
export interface TrackedChild {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last STDERR_TAIL bytes the child wrote to stderr (when stderr is piped). */
  stderrTail(): string;
}

const STDERR_TAIL = 16 * 1024;

/**
 * Every child process and temp dir of a bench run, so that all of them go away at the end,
 * on failure and on Ctrl-C. Children are stopped by their own pid only.
 */
export class ProcessRegistry {
  private readonly children = new Map<number, TrackedChild>();
  private readonly dirs = new Set<string>();

  spawn(name: string, command: string, args: readonly string[], opts: SpawnOptions): TrackedChild {
    const child = spawn(command, args, opts);
    const pid = child.pid;
    if (pid === undefined) {
      // spawn failed (ENOENT...): the 'error' event carries why; surface it synchronously.
      throw new Error(`could not start ${name} (${command})`);
    }
    let tail = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      tail = (tail + d).slice(-STDERR_TAIL);
    });
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        this.children.delete(pid);
        resolve({ code, signal });
      });
      child.once('error', () => {
        done = true;
        this.children.delete(pid);
        resolve({ code: null, signal: null });
      });
    });
    const tracked: TrackedChild = { name, pid, child, exited, hasExited: () => done, stderrTail: () => tail };
    this.children.set(pid, tracked);
    return tracked;
  }

  /** A fresh directory under the OS temp dir, removed by cleanup(). */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  /** A directory made elsewhere (e.g. on tmpfs) that cleanup() removes too. */
  trackDir(dir: string): void {
    this.dirs.add(dir);
  }

  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
  async stop(c: TrackedChild, graceMs = 5000): Promise<void> {
    if (c.hasExited()) return;
    signalPid(c.pid, 'SIGTERM');
    const timer = setTimeout(() => signalPid(c.pid, 'SIGKILL'), graceMs);
    await c.exited;
    clearTimeout(timer);
  }

  /** Stops every child still running and removes every temp dir. Never throws. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.children.values()].map((c) => this.stop(c, 3000).catch(() => undefined)));
    for (const d of [...this.dirs]) {
      try {
        this.removeDir(d);
      } catch {
        /* best effort */
      }
    }
  }

  /** Last resort from a process 'exit' handler: SIGKILL what is left, remove dirs, synchronously. */
  cleanupSync(): void {
    for (const c of this.children.values()) signalPid(c.pid, 'SIGKILL');
    this.children.clear();
    for (const d of this.dirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
    this.dirs.clear();
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * `command args` run on one CPU through taskset (which execs it: the pid stays the command's),
 * or unchanged when `cpu` is undefined.
 */
export function onCpu(cpu: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Resolves after `ms`; keeps the process alive meanwhile. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
