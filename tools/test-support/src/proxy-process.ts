import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { trackChild, waitReady, waitUntil } from './child-process';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const PROXY_MAIN = path.join(ROOT, 'dist', 'apps', 'proxy', 'main.js');

export interface ProxyProcess {
  url: string;
  healthUrl: string;
  child: ChildProcess;
  /** Every line the proxy wrote to stdout (security events as JSON lines). */
  stdoutLines: string[];
  stderr(): string;
  /** Parsed stdout JSON lines. */
  events(): Record<string, unknown>[];
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  serviceAccountFile?: string;
  env?: Record<string, string>;
  /** Resolve as soon as the process exits (for startup-failure tests) instead of on /ready. */
  expectExit?: boolean;
  /** Its own process group, so a test can signal the group as a terminal's Ctrl-C does (kill(-pid)). */
  detached?: boolean;
}


/** Starts the BUILT proxy as a child process on free loopback ports and waits until ready. */
export async function startProxy(opts: StartOptions): Promise<ProxyProcess> {
  const port = await freePort();
  const healthPort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    METADATA_SERVER_DETECTION: 'none',
    TSP_HOST: '127.0.0.1',
    TSP_PORT: String(port),
    TSP_HEALTH_PORT: String(healthPort),
    TSP_LOG_LEVEL: 'info',
    // One process unless a test asks for more: tests count KMS calls, leases and cache hits per
    // process, and read the events one process wrote (the default is one worker per CPU).
    TSP_WORKERS: '1',
    ...(opts.serviceAccountFile !== undefined ? { TSP_SERVICE_ACCOUNT_FILE: opts.serviceAccountFile } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [PROXY_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached === true });
  const stdoutLines: string[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    stdoutLines.push(...parts.filter((l) => l !== ''));
  });
  const tracked = trackChild(child);

  const p: ProxyProcess = {
    url: `http://127.0.0.1:${port}`,
    healthUrl: `http://127.0.0.1:${healthPort}`,
    child,
    stdoutLines,
    stderr: tracked.stderr,
    events: () => stdoutLines.map((l) => JSON.parse(l) as Record<string, unknown>),
    waitFor: (pred, timeoutMs) => waitUntil(pred, timeoutMs),
    stop: tracked.stop,
  };
  if (opts.expectExit) {
    await tracked.exited;
    return p;
  }
  await waitReady(tracked, `${p.healthUrl}/ready`, 'proxy');
  return p;
}
