import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, ProxyProcess, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';
import { LogdriverProcess, startLogdriver } from './logdriver-process';

/**
 * Crash safety of the whole audit path: 20,000 application events through the proxy; the
 * logdriver is killed with -9 in the middle and restarted on the same spool and port. Every
 * event must reach the tenant files (at least once): those the logdriver had acknowledged from
 * its spool, the rest from the proxy's queue, which held them while the logdriver was down.
 */
const TOTAL = 20_000;
let env: TestEnvironment;
let proxy: ProxyProcess;
let logdriver: LogdriverProcess;
let eventsDir: string;
let spoolDir: string;
let port: number;

function requestIdsInFiles(): Set<string> {
  const ids = new Set<string>();
  for (const t of ['demo-tenant-1', 'demo-tenant-2']) {
    const file = path.join(eventsDir, `${t}.ndjson`);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      const id = (JSON.parse(line) as { iclFields: { requestId?: string } }).iclFields.requestId;
      if (id !== undefined) ids.add(id);
    }
  }
  return ids;
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  eventsDir = path.join(env.env.dir, 'events');
  spoolDir = path.join(env.env.dir, 'spool');
  port = await freePort();
  logdriver = await startLogdriver({ spoolDir, eventsDir, port });
  proxy = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { LOGDRIVER_URL: `http://127.0.0.1:${port}` } });
});

afterAll(async () => {
  await proxy?.stop();
  await logdriver?.stop();
  env?.remove();
});

test('20,000 events through the proxy survive a kill -9 of the logdriver', async () => {
  let sent = 0;
  let killed = false;
  const send = async (): Promise<void> => {
    while (sent < TOTAL) {
      const i = sent++;
      const res = await fetch(`${proxy.url}/api/1/event/security-event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `cmk ${env.apiKey}` },
        body: JSON.stringify({ tenantId: i % 2 === 0 ? 'demo-tenant-1' : 'demo-tenant-2', iclFields: { requestingId: 'crash-test', requestId: `e${i}`, event: 'DATA_EXPORT' } }),
      });
      expect(res.status).toBe(200);
      if (!killed && sent >= TOTAL / 2) {
        killed = true;
        logdriver.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, send));
  await logdriver.exited;
  logdriver = await startLogdriver({ spoolDir, eventsDir, port });
  await waitUntil(() => requestIdsInFiles().size >= TOTAL, 60_000, 'every event in the tenant files');
  expect(requestIdsInFiles().size).toBe(TOTAL);
  const metrics = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
  expect(metrics).toMatch(/^tsp_events_dropped_total 0$/m);
}, 120_000);
