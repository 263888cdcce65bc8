import { readFileSync, writeFileSync } from 'node:fs';
import { freePort, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';

/** Startup failures are clear and fatal; SIGTERM drains in-flight work and queued events. */
let env: TestEnvironment;

beforeAll(async () => {
  env = await TestEnvironment.create();
});

afterAll(() => env?.remove());

test('a document with a bad signature stops startup with a clear message', async () => {
  const good = readFileSync(env.env.documentFile, 'utf8');
  const doc = JSON.parse(good) as { payload: string };
  const payload = JSON.parse(Buffer.from(doc.payload, 'base64').toString('utf8')) as { sequence: number };
  payload.sequence = 999;
  writeFileSync(env.env.documentFile, JSON.stringify({ ...doc, payload: Buffer.from(JSON.stringify(payload)).toString('base64') }));
  try {
    const p = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, expectExit: true });
    expect(p.child.exitCode).toBe(1);
    expect(p.stderr()).toContain('signature does not verify');
  } finally {
    writeFileSync(env.env.documentFile, good);
  }
});

test('an unreachable broker stops startup with a clear message', async () => {
  const port = await freePort();
  const p = await startProxy({
    serviceAccountFile: env.env.serviceAccountFile,
    env: { TSP_CONFIG_URL: `http://127.0.0.1:${port}/config`, TSP_CONFIG_FETCH_TIMEOUT: '2' },
    expectExit: true,
  });
  expect(p.child.exitCode).toBe(1);
  expect(p.stderr()).toContain(`config from http://127.0.0.1:${port}/config`);
  expect(p.stderr()).toContain('proxy failed to start');
});

test('missing and unknown settings are named, and no secret is printed', async () => {
  const p = await startProxy({ env: { API_KEY: env.apiKey, TSP_PROT: '1' }, expectExit: true });
  expect(p.child.exitCode).toBe(1);
  expect(p.stderr()).toContain('TSP_SERVICE_CONFIG_ID is required');
  expect(p.stderr()).toContain('TSP_PROT is not a known setting');
  const short = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { API_KEY: 'c2hvcnQ=' }, expectExit: true });
  expect(short.stderr()).toContain('API_KEY must be base64 of at least 12 bytes');
  expect(short.stderr()).not.toContain('c2hvcnQ=');
});

test('SIGTERM: an in-flight request finishes, queued events are written, then exit 0', async () => {
  const p = await startProxy({ serviceAccountFile: env.env.serviceAccountFile });
  const { request } = await import('node:http');
  const ids = Array.from({ length: 1000 }, (_, i) => `doc-${i}`);
  const body = Buffer.from(JSON.stringify({ tenantId: 'demo-tenant-1', iclFields: { requestingId: 'shutdown-test' }, documentIds: ids }));
  const u = new URL(p.url);
  // The request is surely in flight: headers and half the body are sent before SIGTERM.
  let inFlight: import('node:http').ClientRequest | undefined;
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: '/api/1/document/batch-wrap', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: `cmk ${env.apiKey}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, body.length >> 1));
    inFlight = req;
  });
  await new Promise((r) => setTimeout(r, 100));
  const code = p.stop('SIGTERM');
  await waitUntil(async () => (await fetch(`${p.healthUrl}/live`).catch(() => ({ status: 0 }))).status !== 200, 5000, 'shutdown under way');
  inFlight?.end(body.subarray(body.length >> 1));
  const res = await answer;
  expect(res.status).toBe(200);
  expect(Object.keys((JSON.parse(res.text) as { keys: Record<string, unknown> }).keys)).toHaveLength(1000);
  expect(await code).toBe(0);
  expect(p.events().some((e) => (e.iclFields as { requestingId: string }).requestingId === 'shutdown-test')).toBe(true);
  expect(p.stderr()).toContain('shutting down');
});

test('/live and /ready answer 500 while shutting down', async () => {
  const p = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_SHUTDOWN_TIMEOUT_MS: '3000' } });
  // Hold a request open so shutdown waits for it.
  const { request } = await import('node:http');
  const u = new URL(p.url);
  const req = request({ host: u.hostname, port: u.port, path: '/api/1/document/wrap', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000', authorization: `cmk ${env.apiKey}` } });
  req.on('error', () => undefined);
  req.write('{');
  await new Promise((r) => setTimeout(r, 50));
  p.child.kill('SIGTERM');
  let live = 0;
  let ready = 0;
  for (let i = 0; i < 40 && (live !== 500 || ready !== 500); i++) {
    await new Promise((r) => setTimeout(r, 25));
    live = (await fetch(`${p.healthUrl}/live`).catch(() => ({ status: 0 }))).status;
    ready = (await fetch(`${p.healthUrl}/ready`).catch(() => ({ status: 0 }))).status;
  }
  expect(live).toBe(500);
  expect(ready).toBe(500);
  req.destroy();
  await p.stop();
});
