import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateEncodedKeyPair } from '@tsp/config-crypto';
import { freePort, trackChild, TrackedChild, waitReady } from '@tsp/test-support';

/** The BUILT broker (npm run build) as e2e tests start it. */
export const BROKER_MAIN = path.join(__dirname, '..', '..', '..', 'dist', 'apps', 'config-broker', 'main.js');

export interface BrokerProcess {
  url: string;
  adminToken: string;
  child: TrackedChild;
  /** A vendor-admin request to /api/v1<route>; the JSON answer ({} when empty). */
  admin: BrokerAdminCall;
  stderr(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts the built broker on a free loopback port with SQLite in `workDir`, fresh keys and a
 * random admin token; `env` adds or overrides TSP_BROKER_* settings. Waits for /live.
 */
export async function startBrokerProcess(workDir: string, env: Record<string, string> = {}): Promise<BrokerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = `admin-${randomBytes(12).toString('hex')}`;
  const child = trackChild(
    spawn(process.execPath, [BROKER_MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        TSP_BROKER_PORT: String(port),
        TSP_BROKER_DB: path.join(workDir, 'broker.db'),
        TSP_BROKER_MASTER_KEY: randomBytes(32).toString('base64'),
        TSP_BROKER_SIGNING_KEY: generateEncodedKeyPair('ed25519').privateKey,
        TSP_BROKER_ADMIN_TOKEN: adminToken,
        TSP_BROKER_PUBLIC_URL: url,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  await waitReady(child, `${url}/live`, 'config broker');
  return {
    url,
    adminToken,
    child,
    stderr: child.stderr,
    stop: child.stop,
    admin: brokerAdminClient(url, adminToken),
  };
}

export type BrokerAdminCall = (method: string, route: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

/** Vendor-admin requests to /api/v1<route> of the broker at `url` (a process, or a container: tools/containers). */
export function brokerAdminClient(url: string, adminToken: string): BrokerAdminCall {
  return async (method, route, body) => {
    const res = await fetch(`${url}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
}
