import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
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
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
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
    ...(opts.serviceAccountFile !== undefined ? { TSP_SERVICE_ACCOUNT_FILE: opts.serviceAccountFile } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [PROXY_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdoutLines: string[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    stdoutLines.push(...parts.filter((l) => l !== ''));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));

  const p: ProxyProcess = {
    url: `http://127.0.0.1:${port}`,
    healthUrl: `http://127.0.0.1:${healthPort}`,
    child,
    stdoutLines,
    stderr: () => stderr,
    events: () => stdoutLines.map((l) => JSON.parse(l) as Record<string, unknown>),
    waitFor: (pred, timeoutMs) => waitUntil(pred, timeoutMs),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
  if (opts.expectExit) {
    await exited;
    return p;
  }
  await waitUntil(async () => {
    if (done) throw new Error(`proxy exited during startup: ${stderr}`);
    try {
      return (await fetch(`${p.healthUrl}/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 15000, 'proxy /ready');
  return p;
}
