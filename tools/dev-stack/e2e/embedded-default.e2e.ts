import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitUntil } from '@tsp/test-support';

/**
 * The embedded default as a new user meets it: `npm start`'s dev stack creates its environment,
 * serves the demo tenants, the Node client demo script passes against it, and a proxy killed
 * with -9 is restarted and reported.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'tsp-devstack-'));
let port = 0;
let healthPort = 0;
let output = '';
let stack: ReturnType<typeof spawn>;

const ready = async (): Promise<boolean> => {
  try {
    return (await fetch(`http://127.0.0.1:${healthPort}/ready`)).status === 200;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  port = await freePort();
  healthPort = await freePort();
  const fakePorts = [await freePort(), await freePort(), await freePort()].join(',');
  const logdriverPort = await freePort();
  stack = spawn(process.execPath, [path.join(ROOT, 'dist', 'tools', 'dev-stack', 'main.js')], {
    env: { PATH: process.env['PATH'] ?? '', TSP_DEV_DIR: dir, TSP_PORT: String(port), TSP_HEALTH_PORT: String(healthPort), TSP_DEV_FAKE_PORTS: fakePorts, TSP_LOGDRIVER_PORT: String(logdriverPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  stack.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  await waitUntil(ready, 20000, 'dev stack ready');
  // Each fake prints one JSON line when it listens.
  await waitUntil(() => ['"service":"aws-kms"', '"tokenUri"', '"authorityHost"'].every((s) => output.includes(s)), 20000, 'cloud KMS fakes listening');
});

afterAll(async () => {
  if (stack.exitCode === null) {
    const exited = new Promise((r) => stack.once('exit', r));
    stack.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('first run creates the environment and prints how to connect', () => {
  expect(output).toContain('created the development environment');
  expect(output).toContain(`http://127.0.0.1:${port}`);
  const sa = readFileSync(path.join(dir, 'service-account.env'), 'utf8');
  const key = /^API_KEY=(.+)$/m.exec(sa)?.[1];
  expect(key).toBeDefined();
  expect(output).toContain(`API key: ${key}`);
});

test('the Node client demo script passes against the demo tenants', () => {
  const key = /^API_KEY=(.+)$/m.exec(readFileSync(path.join(dir, 'service-account.env'), 'utf8'))?.[1] ?? '';
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'examples', 'node-client-demo.js')], {
    env: { PATH: process.env['PATH'] ?? '', TSP_URL: `http://127.0.0.1:${port}`, API_KEY: key },
    encoding: 'utf8',
    timeout: 20000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('ok  rekey demo-tenant-1 -> demo-tenant-2');
  expect(r.stdout).toContain('ok  deterministic encrypt/decrypt');
  for (const cloud of ['aws', 'gcp', 'azure']) expect(r.stdout).toContain(`ok  encrypt/decrypt for demo-tenant-${cloud} through its own KMS`);
  expect(r.stdout).toContain('ok  rekey demo-tenant-aws (AWS KMS) -> demo-tenant-azure (Azure Key Vault)');
});

test("the demo's events reach each tenant's file through the logdriver", async () => {
  const file = (t: string): string => path.join(dir, 'events', `${t}.ndjson`);
  const events = (t: string): string[] =>
    existsSync(file(t)) ? readFileSync(file(t), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { iclFields: { event: string } }).iclFields.event) : [];
  // Each tenant's events are batched on their own (up to 2 s): wait for every file.
  await waitUntil(
    () => events('demo-tenant-1').includes('USER_LOGIN') && events('demo-tenant-aws').includes('KMS_WRAP_KEY') && events('demo-tenant-azure').includes('KMS_REKEY_KEY'),
    10000,
    'event files',
  );
  expect(events('demo-tenant-1')).toContain('KMS_WRAP_KEY');
  expect(events('demo-tenant-azure')).toContain('KMS_REKEY_KEY');
});

/** The pid of the stack's proxy child (the fakes run beside it). */
function proxyPid(): string {
  const pids = spawnSync('pgrep', ['-P', String(stack.pid), '-f', 'apps/proxy/main.js'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  expect(pids).toHaveLength(1);
  return pids[0];
}

test('the stack runs the proxy, the logdriver and the three cloud KMS fakes', () => {
  const children = spawnSync('pgrep', ['-a', '-P', String(stack.pid)], { encoding: 'utf8' }).stdout;
  for (const name of ['apps/proxy/main.js', 'apps/logdriver/main.js', 'fakes/aws-kms/main.js', 'fakes/gcp-kms/main.js', 'fakes/azure-keyvault/main.js']) expect(children).toContain(name);
});

test('a proxy killed with -9 is restarted and the restart is reported', async () => {
  const pids = [proxyPid()];
  process.kill(Number(pids[0]), 'SIGKILL');
  await waitUntil(() => output.includes('proxy exited (SIGKILL); restarting'), 5000, 'restart report');
  await waitUntil(ready, 20000, 'proxy back');
  expect(proxyPid()).not.toBe(pids[0]);
});

test('SIGTERM stops the stack and every child', async () => {
  const children = spawnSync('pgrep', ['-P', String(stack.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  expect(children).toHaveLength(5);
  const exited = new Promise<number | null>((r) => stack.once('exit', (code) => r(code)));
  stack.kill('SIGTERM');
  expect(await exited).toBe(0);
  for (const child of children) expect(spawnSync('kill', ['-0', child]).status).not.toBe(0);
});
