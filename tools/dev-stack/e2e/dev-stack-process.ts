import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnvFile } from '@tsp/config-crypto';
import { freePort, waitUntil } from '@tsp/test-support';

/** `npm start`'s dev stack (the BUILT dist/tools/dev-stack/main.js) as a child process, on free loopback ports. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEV_STACK_MAIN = path.join(ROOT, 'dist', 'tools', 'dev-stack', 'main.js');

export interface DevStack {
  dir: string;
  child: ChildProcess;
  proxyUrl: string;
  healthUrl: string;
  brokerUrl: string;
  /** Everything the stack and its children wrote so far (stdout and stderr). */
  output(): string;
  /** The settings of the service account the stack's proxy uses. */
  serviceAccount(): Record<string, string>;
  /** The vendor admin API of the stack's broker, with the token from the dev dir. */
  admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Pids of the stack's children whose command line contains `pattern`. */
  childPids(pattern?: string): string[];
  ready(): Promise<boolean>;
  stop(): Promise<number | null>;
}

export interface DevStackPorts {
  /** aws,gcp,azure: used when the dev dir's fakes are first made. */
  fakePorts?: string;
}

export async function startDevStack(dir: string, opts: DevStackPorts = {}): Promise<DevStack> {
  const port = await freePort();
  const healthPort = await freePort();
  const logdriverPort = await freePort();
  const brokerPort = await freePort();
  const fakePorts = opts.fakePorts ?? [await freePort(), await freePort(), await freePort()].join(',');
  const child = spawn(process.execPath, [DEV_STACK_MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TSP_DEV_DIR: dir,
      TSP_PORT: String(port),
      TSP_HEALTH_PORT: String(healthPort),
      TSP_DEV_FAKE_PORTS: fakePorts,
      TSP_LOGDRIVER_PORT: String(logdriverPort),
      TSP_BROKER_PORT: String(brokerPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const brokerUrl = `http://127.0.0.1:${brokerPort}`;
  const healthUrl = `http://127.0.0.1:${healthPort}`;
  const stack: DevStack = {
    dir,
    child,
    proxyUrl: `http://127.0.0.1:${port}`,
    healthUrl,
    brokerUrl,
    output: () => output,
    serviceAccount: () => parseEnvFile(readFileSync(path.join(dir, 'service-account.env'), 'utf8')),
    async admin(method, route, body) {
      const token = readFileSync(path.join(dir, 'broker-admin-token'), 'utf8').trim();
      const res = await fetch(`${brokerUrl}/api/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
    childPids(pattern) {
      const args = ['-P', String(child.pid), ...(pattern !== undefined ? ['-f', pattern] : [])];
      return spawnSync('pgrep', args, { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    },
    async ready() {
      try {
        return (await fetch(`${healthUrl}/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  try {
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`dev stack exited during startup:\n${output}`);
      return stack.ready();
    }, 40_000, 'dev stack ready');
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

/** The API key of the stack's service account. */
export function apiKeyOf(stack: DevStack): string {
  const key = stack.serviceAccount()['API_KEY'];
  if (key === undefined || key === '') throw new Error('no API_KEY in the service account file');
  return key;
}
