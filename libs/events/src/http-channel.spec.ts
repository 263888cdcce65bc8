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
  intake.refuseTenants.clear();
  intake.maxEvents = Infinity;
  intake.badRequest = false;
});

test('events the logdriver refuses (tenant quota) come back as refused; the rest are handed over', async () => {
  intake.refuseTenants.add('t1');
  const batch = [event(0), event(1), event(2), event(4)];
  const { refused } = await new HttpEventChannel(url, 2000).send(batch);
  expect(refused.map((e) => e.iclFields.tspRayId)).toEqual(['ray-1', 'ray-4']);
  expect(intake.batches[0].map((e) => e.eventId)).toEqual(['ray-0', 'ray-2']);
});

test('a batch over the body limit (413) is sent in halves; one event alone that is too large, or a 400, is refused, not retried', async () => {
  intake.maxEvents = 2;
  const batch = Array.from({ length: 5 }, (_, i) => event(i));
  expect((await new HttpEventChannel(url, 2000).send(batch)).refused).toEqual([]);
  expect(intake.batches.flat().map((e) => e.eventId)).toEqual(batch.map((e) => e.iclFields.tspRayId));
  intake.maxEvents = 0;
  expect((await new HttpEventChannel(url, 2000).send([event(9)])).refused).toEqual([event(9)]);
  intake.maxEvents = Infinity;
  intake.badRequest = true;
  expect((await new HttpEventChannel(url, 2000).send([event(7), event(8)])).refused).toHaveLength(2);
});

test('the queue drops refused events, counts them, and rejects their strict waiters with reason refused', async () => {
  intake.refuseTenants.add('t1');
  let dropped = 0;
  const q = new EventQueue(new HttpEventChannel(url, 2000), { capacity: 100, maxBatch: 50, flushIntervalMs: 10, onDrop: (n) => (dropped += n) });
  const ok = q.enqueueAndWait(event(0), 2000);
  const refused = q.enqueueAndWait(event(1), 2000);
  if (ok === false || refused === false) throw new Error('queue refused the events');
  await expect(ok).resolves.toBeUndefined();
  await expect(refused).rejects.toMatchObject({ name: 'EventNotAcknowledged', reason: 'refused' });
  expect(dropped).toBe(1);
  await q.close();
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
