import { IntakeStandIn, ProxyProcess, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';

/**
 * With LOGDRIVER_URL set, the proxy's events go to the logdriver intake in batches, each event
 * with its id; while the logdriver is down they wait in the queue and arrive once it is back.
 */
let env: TestEnvironment;
let proxy: ProxyProcess;
const intake = new IntakeStandIn();

async function wrap(requestId: string): Promise<void> {
  const res = await fetch(`${proxy.url}/api/1/document/wrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `cmk ${env.apiKey}` },
    body: JSON.stringify({ tenantId: 'demo-tenant-2', iclFields: { requestingId: 'channel-test', requestId } }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  const url = await intake.start();
  proxy = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { LOGDRIVER_URL: url } });
});

afterAll(async () => {
  await proxy?.stop();
  await intake.stop();
  env?.remove();
});

test('events reach the intake with their ids, and nothing goes to stdout', async () => {
  for (let i = 0; i < 20; i++) await wrap(`r${i}`);
  await waitUntil(() => intake.batches.flat().length >= 20, 5000, 'events at the intake');
  const events = intake.batches.flat();
  expect(events.map((e) => e.iclFields.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  expect(new Set(events.map((e) => e.eventId)).size).toBe(20);
  expect(events.every((e) => e.eventId === e.iclFields.tspRayId && e.tenantId === 'demo-tenant-2')).toBe(true);
  expect(proxy.stdoutLines).toEqual([]);
});

test('while the intake fails, events wait in the queue and all arrive afterwards', async () => {
  intake.batches = [];
  intake.failFirst = 3;
  for (let i = 0; i < 30; i++) await wrap(`late${i}`);
  await waitUntil(() => intake.batches.flat().length >= 30, 15000, 'events after the outage');
  expect(intake.batches.flat().map((e) => e.iclFields.requestId)).toEqual(Array.from({ length: 30 }, (_, i) => `late${i}`));
  const metrics = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
  expect(metrics).toMatch(/^tsp_events_dropped_total 0$/m);
});
