import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@tsp/observability';
import type { DeliveryOutcome, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { parseLogdriverConfig } from './logdriver-config';
import { createLogdriverRuntime, LogdriverRuntime } from './logdriver-runtime';
import { MAX_ITEM_ATTEMPTS, STOP_GRACE_MS } from './sink-pipeline';

/**
 * The per-(tenant, sink) pipeline through the real intake: isolation, partial outcomes, dead
 * letters and re-drive, Retry-After, the rate limit, the disk quota and restart from the cursor.
 * One test sink type whose behaviour each test sets per tenant.
 */
const silent = createLogger({ level: 'error', service: 'test', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

type Behaviour = (batch: readonly SinkEvent[], signal: AbortSignal) => Promise<DeliveryOutcome>;

interface Received {
  tenantId: string;
  at: number;
  ids: string[];
}

let dir: string;
let rt: LogdriverRuntime;
let base: string;
let received: Received[];
const behaviour = new Map<string, Behaviour>();

const ok: Behaviour = async () => ({ kind: 'delivered' });

const plugin: SinkPlugin = {
  type: 'test',
  limits: { maxEvents: 1000, maxBytes: 1 << 24 },
  validate: () => [],
  create: (_c, host) => ({
    type: 'test',
    async send(batch, signal) {
      const outcome = await (behaviour.get(host.tenantId) ?? ok)(batch, signal);
      const delivered = outcome.kind === 'delivered' ? batch : outcome.kind === 'partial' ? batch.filter((_e, i) => !outcome.failed.some((f) => f.index === i)) : [];
      if (delivered.length > 0) received.push({ tenantId: host.tenantId, at: Date.now(), ids: delivered.map((e) => e.record.iclFields.tspRayId) });
      return outcome;
    },
    close: async () => undefined,
  }),
};

let createFailures = 0;
/** A sink type whose creation fails `createFailures` times (a bad certificate file, say), then works. */
const flaky: SinkPlugin = {
  ...plugin,
  type: 'flaky-create',
  create: (c, host) => {
    if (createFailures > 0) {
      createFailures--;
      throw new Error('cannot create the sink');
    }
    return plugin.create(c, host);
  },
};

async function start(env: Record<string, string> = {}): Promise<void> {
  const { DEFAULT: _default, ...settings } = env;
  const config = parseLogdriverConfig({
    TSP_LOGDRIVER_PORT: '0',
    TSP_LOGDRIVER_SPOOL_DIR: path.join(dir, 'spool'),
    TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '20',
    TSP_LOGDRIVER_RETRY_BASE_MS: '20',
    TSP_LOGDRIVER_RETRY_MAX_MS: '40',
    TSP_LOGDRIVER_RATE_LIMIT: '100000',
    TSP_LOGDRIVER_RATE_BURST: '100000',
    TSP_LOGDRIVER_SEND_TIMEOUT_MS: '300',
    ...settings,
  });
  rt = createLogdriverRuntime(config, silent, { plugins: [plugin, flaky], defaultSink: env['DEFAULT'] ?? 'test', redrivePollMs: 50, sinkRetryMs: 100 });
  base = `http://127.0.0.1:${(await rt.start()).port}`;
}

let seq = 0;
function events(tenantId: string, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, () => {
    seq++;
    return {
      eventId: `ev-${seq}`, category: 'application', tenantId, timestampMillis: 1_780_000_000_000 + seq,
      iclFields: { event: 'USER_LOGIN', requestingId: 'u', tspRayId: `ray-${seq}` }, customFields: {},
    };
  });
}

async function post(evs: readonly Record<string, unknown>[]): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: evs }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const idsOf = (evs: readonly Record<string, unknown>[]): string[] => evs.map((e) => (e['iclFields'] as Record<string, string>)['tspRayId']);
const deliveredTo = (tenantId: string): string[] => received.filter((r) => r.tenantId === tenantId).flatMap((r) => r.ids);

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tsp-pipeline-'));
  received = [];
  behaviour.clear();
});
afterEach(async () => {
  await rt.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('delivery pipeline', () => {
  it.each([
    ['hangs', (async (_b, signal) => new Promise<DeliveryOutcome>((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'retry', reason: 'aborted' })))) as Behaviour],
    ['answers 500s', (async () => ({ kind: 'retry', reason: 'answered 500' })) as Behaviour],
  ])('isolation: while one tenant\'s sink %s, another tenant\'s events keep arriving at their normal latency', async (_what, bad) => {
    behaviour.set('bad', bad);
    await start();
    await post(events('bad', 50));
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = events('good', 5);
      const sentAt = Date.now();
      await post([...events('bad', 5), ...batch]);
      await until(() => idsOf(batch).every((id) => deliveredTo('good').includes(id)));
      latencies.push(Date.now() - sentAt);
    }
    // batch age 20 ms: the good tenant's events arrive within a few batch ages, never behind the 300 ms send deadline
    expect(Math.max(...latencies)).toBeLessThan(250);
    expect(deliveredTo('bad')).toEqual([]);
    expect(rt.scheduler.pendingEvents()).toBe(100);
  });

  it('partial: refused items become dead letters, items to retry go again, the rest is delivered once, in order', async () => {
    let call = 0;
    behaviour.set('t', async () => {
      call++;
      if (call === 1) return { kind: 'partial', failed: [{ index: 1, retry: false, reason: 'mapper_parsing_exception' }, { index: 3, retry: true, reason: 'queue full' }] };
      return { kind: 'delivered' };
    });
    await start();
    const evs = events('t', 5);
    await post(evs);
    const ids = idsOf(evs);
    await until(() => deliveredTo('t').length === 4);
    expect(deliveredTo('t')).toEqual([ids[0], ids[2], ids[4], ids[3]]);
    const letters = rt.deadLetters.list({ tenantId: 't' });
    expect(letters.map((l) => [l.eventId, l.reason, l.sinkType, l.sinkId])).toEqual([[`ev-${seq - 3}`, 'mapper_parsing_exception', 'test', '_default']]);
    await until(() => rt.scheduler.pendingEvents() === 0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/tsp_logdriver_events_dead_lettered_total\{sink="test"\} 1/);
    expect(metrics).toMatch(/tsp_logdriver_dead_letters 1/);
  });

  it('reject: the batch becomes dead letters; a re-drive sends them again and removes the delivered ones', async () => {
    let refuse = true;
    behaviour.set('t', async () => (refuse ? { kind: 'reject', reason: 'answered 400: Invalid data format' } : { kind: 'delivered' }));
    await start();
    const evs = events('t', 3);
    await post(evs);
    await until(() => rt.deadLetters.total() === 3);
    expect(deliveredTo('t')).toEqual([]);
    expect(rt.deadLetters.counts()).toEqual([{ tenantId: 't', sinkId: '_default', sinkType: 'test', count: 3, redrive: 0 }]);
    // later events flow on: a refused batch does not block the tenant
    refuse = false;
    const more = events('t', 2);
    await post(more);
    await until(() => deliveredTo('t').length === 2);
    expect(rt.deadLetters.markRedrive({ tenantId: 't' })).toBe(3);
    await until(() => rt.deadLetters.total() === 0);
    expect(deliveredTo('t')).toEqual([...idsOf(more), ...idsOf(evs)]);
  });

  it('retry honours Retry-After (no send before it), then delivers', async () => {
    const attempts: number[] = [];
    behaviour.set('t', async () => {
      attempts.push(Date.now());
      return attempts.length === 1 ? { kind: 'retry', reason: 'answered 429', retryAfterMs: 400 } : { kind: 'delivered' };
    });
    await start();
    await post(events('t', 2));
    await until(() => deliveredTo('t').length === 2);
    expect(attempts).toHaveLength(2);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(390);
  });

  it('rate limit: a sink of a tenant gets no more than the configured events per second after the burst', async () => {
    await start({ TSP_LOGDRIVER_RATE_LIMIT: '100', TSP_LOGDRIVER_RATE_BURST: '20', TSP_LOGDRIVER_BATCH_MAX_EVENTS: '10' });
    const started = Date.now();
    await post(events('t', 80));
    await until(() => deliveredTo('t').length === 80);
    // 20 at once, then 60 at 100/s: at least 0.6 s
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    await post(events('other', 20));
    await until(() => deliveredTo('other').length === 20, 300);
  });

  it('quota: a tenant over its spool quota has its new events refused and counted; others are stored', async () => {
    behaviour.set('full', async () => ({ kind: 'retry', reason: 'down' }));
    await start({ TSP_LOGDRIVER_TENANT_QUOTA_BYTES: '4096' });
    let refused = 0;
    for (let i = 0; i < 10; i++) refused += Number((await post(events('full', 10)))['refused'] ?? 0);
    expect(refused).toBeGreaterThan(0);
    const stored = rt.spool.pendingAfter('full', 0);
    expect(stored.bytes).toBeLessThanOrEqual(4096);
    expect(stored.count + refused).toBe(100);
    const res = await post(events('fine', 10));
    expect(res).toEqual({ accepted: 10, duplicates: 0 });
    await until(() => deliveredTo('fine').length === 10);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(new RegExp(`tsp_logdriver_events_dropped_total\\{reason="tenant_quota"\\} ${refused}`));
  });

  it('restart: delivery resumes from each sink cursor; what was delivered is not sent again', async () => {
    await start();
    const first = events('t', 5);
    await post(first);
    await until(() => deliveredTo('t').length === 5);
    behaviour.set('t', async () => ({ kind: 'retry', reason: 'down' }));
    const second = events('t', 4);
    await post(second);
    await new Promise((r) => setTimeout(r, 100));
    await rt.shutdown();
    behaviour.clear();
    received = [];
    await start();
    await until(() => deliveredTo('t').length === 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(deliveredTo('t')).toEqual(idsOf(second));
  });

  it('an item the sink keeps asking to retry is dead-lettered after MAX_ITEM_ATTEMPTS; the rest is not held', async () => {
    behaviour.set('t', async (batch) => {
      const i = batch.findIndex((e) => e.record.iclFields.tspRayId === poison);
      return i < 0 ? { kind: 'delivered' } : { kind: 'partial', failed: [{ index: i, retry: true, reason: 'shard unavailable' }] };
    });
    await start({ TSP_LOGDRIVER_RETRY_BASE_MS: '1', TSP_LOGDRIVER_RETRY_MAX_MS: '2' });
    const evs = events('t', 4);
    const poison = idsOf(evs)[1];
    await post(evs);
    await until(() => rt.deadLetters.total() === 1);
    expect(rt.deadLetters.list()[0]).toMatchObject({ eventId: `ev-${seq - 2}`, reason: `still failing after ${MAX_ITEM_ATTEMPTS} attempts: shard unavailable` });
    const more = events('t', 2);
    await post(more);
    await until(() => idsOf(more).every((id) => deliveredTo('t').includes(id)));
    expect(deliveredTo('t').filter((id) => id !== poison).sort()).toEqual([...idsOf(evs).filter((id) => id !== poison), ...idsOf(more)].sort());
    await until(() => rt.scheduler.pendingEvents() === 0);
  });

  it('a damaged spool row becomes a dead letter instead of blocking the tenant', async () => {
    await start();
    const evs = events('t', 3);
    await post(evs.slice(0, 1));
    await until(() => deliveredTo('t').length === 1);
    rt.spool.handle.prepare("INSERT INTO events (event_id, tenant_id, event, created_at) VALUES ('broken', 't', 'not json', 0)").run();
    await post(evs.slice(1));
    await until(() => deliveredTo('t').length === 3);
    expect(rt.deadLetters.list()).toMatchObject([{ eventId: 'broken', reason: 'the stored event could not be read back (spool row damaged)' }]);
  });

  it('shutdown aborts a hanging send after the grace period; the batch is delivered after the restart', async () => {
    behaviour.set('t', (_b, signal) => new Promise<DeliveryOutcome>((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'retry', reason: 'aborted' }))));
    await start({ TSP_LOGDRIVER_SEND_TIMEOUT_MS: '600000' });
    const evs = events('t', 2);
    await post(evs);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await rt.scheduler.stop();
    expect(Date.now() - started).toBeLessThan(STOP_GRACE_MS + 2000);
    await rt.shutdown();
    behaviour.clear();
    await start();
    await until(() => deliveredTo('t').length === 2);
  }, 20_000);

  it('quota is released as events are delivered, and counts UTF-8 bytes', async () => {
    let open = false;
    behaviour.set('t', async () => (open ? { kind: 'delivered' } : { kind: 'retry', reason: 'down' }));
    await start({ TSP_LOGDRIVER_TENANT_QUOTA_BYTES: '8192' });
    const wide = (n: number): Record<string, unknown>[] => events('t', n).map((e) => ({ ...e, customFields: { text: '\u4e2d'.repeat(200) } }));
    let refused = 0;
    for (let i = 0; i < 6; i++) refused += Number((await post(wide(2)))['refused'] ?? 0);
    expect(refused).toBeGreaterThan(0);
    expect(rt.spool.pendingAfter('t', 0).bytes).toBeLessThanOrEqual(8192);
    open = true;
    await until(() => rt.scheduler.pendingEvents() === 0);
    expect(await post(wide(2))).toEqual({ accepted: 2, duplicates: 0 });
  });

  it('a sink that cannot be created is built again later; its events wait and then arrive', async () => {
    createFailures = 1;
    await start({ DEFAULT: 'flaky-create' });
    const evs = events('t', 3);
    await post(evs);
    await new Promise((r) => setTimeout(r, 50));
    expect(deliveredTo('t')).toEqual([]);
    await until(() => deliveredTo('t').length === 3);
    expect(deliveredTo('t')).toEqual(idsOf(evs));
  });
});
