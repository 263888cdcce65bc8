import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, trackChild, waitReady } from '@tsp/test-support';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const LOGDRIVER_MAIN = path.join(ROOT, 'dist', 'apps', 'logdriver', 'main.js');

export interface LogdriverProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface LogdriverStart {
  spoolDir: string;
  eventsDir: string;
  env?: Record<string, string>;
  /** A fixed port (a restart on the same address); a free one when absent. */
  port?: number;
  /** Resolve when the process exits (startup-failure tests) instead of on /ready. */
  expectExit?: boolean;
}

/** Starts the BUILT logdriver as a child process on a free loopback port and waits for /ready. */
export async function startLogdriver(opts: LogdriverStart): Promise<LogdriverProcess> {
  const port = opts.port ?? (await freePort());
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    TSP_LOGDRIVER_HOST: '127.0.0.1',
    TSP_LOGDRIVER_PORT: String(port),
    TSP_LOGDRIVER_SPOOL_DIR: opts.spoolDir,
    TSP_LOGDRIVER_EVENTS_DIR: opts.eventsDir,
    // Tests read the tenant files soon after sending: no config document, the file sink for
    // every tenant, short batch age, no rate limit in the way.
    TSP_LOGDRIVER_DEFAULT_SINK: 'file',
    TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '200',
    TSP_LOGDRIVER_RATE_LIMIT: '10000000',
    TSP_LOGDRIVER_RATE_BURST: '10000000',
    ...opts.env,
  };
  const child = spawn(process.execPath, [LOGDRIVER_MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const tracked = trackChild(child);
  const p: LogdriverProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: tracked.stderr,
    exited: tracked.exited,
    stop: tracked.stop,
  };
  if (opts.expectExit) {
    await tracked.exited;
    return p;
  }
  await waitReady(tracked, `${p.url}/ready`, 'logdriver');
  return p;
}

export async function postEvents(url: string, events: readonly unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every line of every .ndjson file in dir, parsed; lines that do not parse are counted apart. */
export function readDelivered(dir: string): { byFile: Map<string, Record<string, unknown>[]>; unparsable: number } {
  const byFile = new Map<string, Record<string, unknown>[]>();
  let unparsable = 0;
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  } catch {
    return { byFile, unparsable };
  }
  for (const f of files) {
    const out: Record<string, unknown>[] = [];
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        unparsable++;
      }
    }
    byFile.set(f, out);
  }
  return { byFile, unparsable };
}

export function rayIdOf(line: Record<string, unknown>): string {
  return (line['iclFields'] as Record<string, string>)['tspRayId'];
}
