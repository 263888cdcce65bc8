import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A fake started as its own process (its built main.js), for specs. */
export interface FakeProcess<I> {
  child: ChildProcess;
  /** The JSON line the fake printed first. */
  info: I;
}

/**
 * Runs `node main ...args` and resolves with the first line it prints, parsed as JSON (the fakes'
 * main.ts print what they serve); rejects when the process exits first. stderr is inherited.
 */
export function startFakeProcess<I>(main: string, args: readonly string[] = [], cwd?: string): Promise<FakeProcess<I>> {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'inherit'], ...(cwd !== undefined ? { cwd } : {}) });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve({ child, info: JSON.parse(line) as I }));
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}

/** Sends `signal` (default SIGTERM) and resolves with the exit code (null when killed by it). */
export function stopFakeProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill(signal);
  return exited;
}

/** Runs `node main ...args` to its end: the exit code and what it wrote to stderr. */
export function runFakeProcess(main: string, args: readonly string[], cwd?: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...(cwd !== undefined ? { cwd } : {}) });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}
