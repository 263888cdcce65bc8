import { EventQueue } from './event-queue';
import { HttpEventChannel } from './http-channel';
import type { SecurityEventRecord } from './security-event';
import { IntakeStandIn } from '@tsp/test-support';

function event(i: number): SecurityEventRecord {
  return { category: 'kms', tenantId: `t${i % 3}`, timestampMillis: 1700000000000 + i, iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: `ray-${i}` }, customFields: {} };
}

const intake = new IntakeStandIn();
let url: string;
beforeAll(async () => {
  url = await intake.start();
});
afterAll(() => intake.stop());
beforeEach(() => {
  intake.batches = [];
  intake.times = [];
  intake.failFirst = 0;
});

test('a batch goes to /v1/events with each event id, and resolves on 200', async () => {
  await new HttpEventChannel(url, 2000).send([event(1), event(2)]);
  expect(intake.batches).toHaveLength(1);
  expect(intake.batches[0].map((e) => e.eventId)).toEqual(['ray-1', 'ray-2']);
  expect(intake.batches[0][0]).toMatchObject({ tenantId: 't1', category: 'kms', timestampMillis: 1700000000001 });
});

test('any answer but 200 rejects, with the logdriver message', async () => {
  intake.failFirst = 1;
  await expect(new HttpEventChannel(url, 2000).send([event(1)])).rejects.toThrow('logdriver answered HTTP 503: spool unavailable');
});

test('while the logdriver fails, the queue keeps every event and retries with growing gaps', async () => {
  intake.failFirst = 4;
  const q = new EventQueue(new HttpEventChannel(url, 2000), { capacity: 1000, maxBatch: 50, flushIntervalMs: 20, maxBackoffMs: 400 });
  for (let i = 0; i < 120; i++) q.enqueue(event(i));
  q.start();
  const deadline = Date.now() + 10000;
  while (intake.batches.flat().length < 120 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await q.close();
  expect(intake.batches.flat().map((e) => e.eventId)).toEqual(Array.from({ length: 120 }, (_, i) => `ray-${i}`));
  // Four failures, then success: the gaps between the first attempts grow (backoff with jitter >= half).
  const gaps = intake.times.slice(1, 5).map((t, i) => t - intake.times[i]);
  expect(gaps[3]).toBeGreaterThanOrEqual(gaps[0]);
  expect(gaps[3]).toBeGreaterThanOrEqual(20 * 2 ** 3 * 0.5 - 5);
});
