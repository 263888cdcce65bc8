import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@tsp/observability';
import { tenantFileName } from '@tsp/sink-file';
import type { DeliveryOutcome, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { parseLogdriverConfig } from './logdriver-config';
import { createLogdriverRuntime, LogdriverRuntime, RuntimeOverrides } from './logdriver-runtime';

const silent = createLogger({ level: 'error', service: 'test', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

function wireEvent(n: number, tenantId = 't1'): Record<string, unknown> {
  return {
    eventId: `e-${n}`,
    category: 'application',
    tenantId,
    timestampMillis: Date.UTC(2026, 4, 5, 17, 44, 42, 656),
    iclFields: { event: 'USER_LOGIN', requestingId: 'u1', tspRayId: `ray-${n}`, dataLabel: 'PII' },
    customFields: { field1: 'v' },
  };
}

/** A sink type for tests: `send` decides each outcome. */
function testPlugin(type: string, send: (tenantId: string, batch: readonly SinkEvent[]) => Promise<DeliveryOutcome>): SinkPlugin {
  return {
    type,
    limits: { maxEvents: 1000, maxBytes: 1 << 24 },
    validate: () => [],
    create: (_c, host) => ({ type, send: (b) => send(host.tenantId, b), close: async () => undefined }),
  };
}

const batch = (from: number, to: number, tenantId?: string): Record<string, unknown>[] =>
  Array.from({ length: to - from }, (_, i) => wireEvent(from + i, tenantId));

describe('logdriver runtime (in process)', () => {
  let dir: string;
  let rt: LogdriverRuntime;
  let base: string;

  async function start(over: RuntimeOverrides = {}, env: Record<string, string> = {}): Promise<void> {
    const config = parseLogdriverConfig({
      TSP_LOGDRIVER_PORT: '0',
      TSP_LOGDRIVER_SPOOL_DIR: path.join(dir, 'spool'),
      TSP_LOGDRIVER_EVENTS_DIR: path.join(dir, 'events'),
      TSP_LOGDRIVER_DEFAULT_SINK: 'file',
      TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '20',
      TSP_LOGDRIVER_RETRY_BASE_MS: '10',
      TSP_LOGDRIVER_RETRY_MAX_MS: '20',
      ...env,
    });
    rt = createLogdriverRuntime(config, silent, over);
    base = `http://127.0.0.1:${(await rt.start()).port}`;
  }
  /** The real server over loopback (fastify's inject needs an ESM module jest cannot load here). */
  async function call(url: string, init?: RequestInit): Promise<{ statusCode: number; body: string; json(): Record<string, unknown> }> {
    const res = await fetch(`${base}${url}`, init);
    const body = await res.text();
    return { statusCode: res.status, body, json: () => JSON.parse(body) as Record<string, unknown> };
  }
  const post = (body: unknown) => call('/v1/events', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const lines = (tenantId: string): Record<string, unknown>[] => {
    try {
      return readFileSync(path.join(dir, 'events', tenantFileName(tenantId)), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  const until = async (pred: () => boolean): Promise<void> => {
    const end = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-logdriver-'));
  });
  afterEach(async () => {
    await rt.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges a batch after storing it and delivers it to the tenant files in the delivered shape', async () => {
    await start();
    const res = await post({ events: [...batch(0, 3, 't1'), ...batch(3, 5, 'tenant/2')] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 5, duplicates: 0 });
    await until(() => lines('t1').length === 3 && lines('tenant/2').length === 2);
    expect(lines('t1')[0]).toEqual({
      tenantId: 't1',
      timestamp: '2026-05-05T17:44:42.656Z',
      iclFields: { event: 'USER_LOGIN', requestingId: 'u1', tspRayId: 'ray-0', dataLabel: 'PII', logdriverRayId: `${rt.spool.spoolId}-1` },
      customFields: { field1: 'v' },
    });
    expect(lines('t1').map((l) => (l['iclFields'] as Record<string, string>)['tspRayId'])).toEqual(['ray-0', 'ray-1', 'ray-2']);
    await until(() => rt.scheduler.pendingEvents() === 0);
  });

  it('counts a re-sent batch as duplicates and does not deliver it twice', async () => {
    await start();
    expect((await post({ events: batch(0, 4) })).json()).toEqual({ accepted: 4, duplicates: 0 });
    await until(() => lines('t1').length === 4);
    expect((await post({ events: batch(2, 6) })).json()).toEqual({ accepted: 2, duplicates: 2 });
    await until(() => lines('t1').length === 6);
    await new Promise((r) => setTimeout(r, 100));
    expect(lines('t1')).toHaveLength(6);
  });

  it.each([
    ['a missing tenantId', (b: Record<string, unknown>[]) => delete b[3]['tenantId'], 'events.3.tenantId is required'],
    ['a number as tenantId (no coercion)', (b: Record<string, unknown>[]) => (b[1]['tenantId'] = 5), 'events.1.tenantId must be string'],
    ['an unknown category', (b: Record<string, unknown>[]) => (b[2]['category'] = 'other'), 'events.2.category must be one of'],
    ['a negative timestamp', (b: Record<string, unknown>[]) => (b[0]['timestampMillis'] = -1), 'events.0.timestampMillis'],
    ['a fractional timestamp', (b: Record<string, unknown>[]) => (b[0]['timestampMillis'] = 1.5), 'events.0.timestampMillis must be integer'],
    ['a non-string custom field', (b: Record<string, unknown>[]) => (b[4]['customFields'] = { a: 1 }), 'events.4.customFields.a must be string'],
    ['a missing tspRayId', (b: Record<string, unknown>[]) => delete (b[2]['iclFields'] as Record<string, unknown>)['tspRayId'], 'events.2.iclFields.tspRayId is required'],
    ['an empty eventId', (b: Record<string, unknown>[]) => (b[3]['eventId'] = ''), 'events.3.eventId'],
    ['an unknown property', (b: Record<string, unknown>[]) => (b[3]['extra'] = 'x'), "events.3 has unknown property 'extra'"],
    ['null for an optional field', (b: Record<string, unknown>[]) => ((b[1]['iclFields'] as Record<string, unknown>)['sourceIp'] = null), 'events.1.iclFields.sourceIp must be string'],
  ])('refuses a batch with %s: 400 code 102 naming the field, nothing stored', async (_what, spoil, message) => {
    await start();
    const events = batch(0, 5);
    spoil(events);
    const res = await post({ events });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe(102);
    expect(res.json().message).toContain(message);
    expect(rt.spool.tenantIds()).toEqual([]);
    expect((await post({ events: batch(0, 5) })).json()).toEqual({ accepted: 5, duplicates: 0 });
  });

  it('refuses empty, oversized and non-JSON batches', async () => {
    await start();
    expect((await post({ events: [] })).json().message).toContain('events must NOT have fewer than 1 items');
    expect((await post({ events: batch(0, 1001) })).json().message).toContain('events must NOT have more than 1000 items');
    expect((await post({})).json().message).toContain('events is required');
    const notJson = await call('/v1/events', { method: 'POST', body: '{"events": [', headers: { 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toEqual({ code: 102, message: 'Request body is not valid JSON' });
    expect(rt.spool.tenantIds()).toEqual([]);
    const metrics = (await call('/metrics')).body;
    expect(metrics).toMatch(/tsp_logdriver_rejected_batches_total\{reason="invalid"\} 3/);
  });

  it('health is 200 while serving; on shutdown it is 500, the intake answers 503 and the batch in flight finishes', async () => {
    let release: () => void = () => undefined;
    const delivered: string[] = [];
    let calls = 0;
    const plugin = testPlugin('held', async (_tenantId, events) => {
      calls++;
      await new Promise<void>((r) => (release = r));
      delivered.push(...events.map((e) => e.record.iclFields.tspRayId));
      return { kind: 'delivered' };
    });
    await start({ plugins: [plugin], defaultSink: 'held' });
    for (const p of ['/health', '/live', '/ready']) expect((await call(p)).statusCode).toBe(200);
    expect((await call('/health')).json()).toEqual({ status: 'ok', spool: { pendingEvents: 0 } });
    await post({ events: batch(0, 3) });
    await until(() => calls === 1);
    const stopping = rt.shutdown();
    for (const p of ['/health', '/live', '/ready']) expect((await call(p)).statusCode).toBe(500);
    expect((await call('/ready')).json()).toEqual({ status: 'shutting-down' });
    const refused = await post({ events: batch(3, 4) });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().code).toBe(100);
    release();
    await stopping;
    expect(delivered).toEqual(['ray-0', 'ray-1', 'ray-2']);
    const { Spool } = await import('./spool');
    const reopened = new Spool(path.join(dir, 'spool'));
    const cursor = reopened.syncCursors('t1', ['_default']).get('_default') ?? 0;
    expect(reopened.readAfter('t1', cursor, 10)).toEqual([]);
    reopened.close();
  });

  it('exposes accepted, spooled, duplicate, delivered counters, the spool gauges and the delivery lag', async () => {
    await start();
    await post({ events: batch(0, 10) });
    await post({ events: batch(5, 12) });
    await until(() => lines('t1').length === 12);
    await until(() => rt.scheduler.pendingEvents() === 0);
    const m = (await call('/metrics')).body;
    expect(m).toMatch(/tsp_logdriver_events_accepted_total 17/);
    expect(m).toMatch(/tsp_logdriver_events_spooled_total 12/);
    expect(m).toMatch(/tsp_logdriver_events_duplicate_total 5/);
    expect(m).toMatch(/tsp_logdriver_events_delivered_total\{sink="file"\} 12/);
    expect(m).toMatch(/tsp_logdriver_spool_pending_events 0/);
    expect(m).toMatch(/tsp_logdriver_delivery_lag_seconds_count \d+/);
    expect(m).toMatch(/tsp_logdriver_sends_total\{sink="file",outcome="delivered"\} \d+/);
    expect(m).toMatch(/tsp_logdriver_dead_letters 0/);
  });

  it('a failing sink keeps the events pending and delivers them once it recovers, in order', async () => {
    const got: string[] = [];
    let fail = 2;
    const plugin = testPlugin('flaky', async (_tenantId, events) => {
      if (fail > 0) {
        fail--;
        return { kind: 'retry', reason: 'sink down' };
      }
      got.push(...events.map((e) => e.record.iclFields.tspRayId));
      return { kind: 'delivered' };
    });
    await start({ plugins: [plugin], defaultSink: 'flaky' });
    await post({ events: batch(0, 3) });
    await post({ events: batch(3, 6) });
    await until(() => got.length === 6);
    expect(got).toEqual(['ray-0', 'ray-1', 'ray-2', 'ray-3', 'ray-4', 'ray-5']);
    expect((await call('/metrics')).body).toMatch(/tsp_logdriver_sends_total\{sink="flaky",outcome="retry"\} 2/);
  });
});
