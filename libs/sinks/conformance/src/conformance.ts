import { randomUUID } from 'node:crypto';
import { deliveredEventLine, SecurityEventRecord } from '@tsp/events';
import type { Sink, SinkEvent } from '@tsp/sinks-core';
import { expectNoSecret } from './expect-no-secret';
import { closedAfterEach } from './sink-fixtures';

/**
 * The one conformance suite every sink passes (docs/logging-sinks.md). Each sink's spec calls
 * `sinkConformance(harness)` with a harness that starts its backend (a loopback fake in tools/,
 * or a real server such as rsyslogd) and reads back what the backend stored.
 *
 * What it proves, for every sink: a batch is delivered in the delivered shape (every field
 * intact, counted by tspRayId); a big batch at the sink's own limit arrives whole; an
 * unavailable backend gives `retry` and a later send delivers; throttling gives `retry` with
 * the backend's Retry-After; a permanent refusal gives `reject`; item-level failures give
 * `partial` naming exactly the failed items; bad credentials give `retry` with `auth`; a
 * hanging backend is abandoned when the signal aborts; no outcome ever holds a credential.
 */
export type ConformanceFault =
  /** The backend is down or answers 5xx to every request until cleared. */
  | { kind: 'unavailable' }
  /** The backend throttles every request with Retry-After: seconds, until cleared. */
  | { kind: 'throttle'; retryAfterSeconds: number }
  /** The backend refuses the next batches for good (e.g. 400 malformed). */
  | { kind: 'reject' }
  /** The backend accepts every item but those at the given indices of each batch. */
  | { kind: 'partial'; rejectIndices: readonly number[]; retryIndices: readonly number[] }
  /** The backend accepts the connection and never answers. */
  | { kind: 'hang' };

export interface ConformanceBackend {
  /** A sink configured for this backend; `badCredentials` gives one whose secret is wrong. */
  sink(opts?: { badCredentials?: boolean }): Sink;
  /** The delivered-shape objects the backend stored so far, in arrival order. */
  received(): Promise<Record<string, unknown>[]>;
  inject(fault: ConformanceFault): void;
  clearFaults(): void;
  /** Every credential string the configs hold: none may appear in an outcome. */
  secrets: readonly string[];
  stop(): Promise<void>;
}

export interface ConformanceHarness {
  name: string;
  start(): Promise<ConformanceBackend>;
  /** Fault kinds this backend cannot produce (e.g. syslog has no throttling), with the reason. */
  unsupported?: Partial<Record<ConformanceFault['kind'] | 'auth', string>>;
  /** Events in the "big batch" test (default 500). */
  bigBatch?: number;
  /** How long received() may take to show what a delivered send stored (default 5000 ms). */
  settleMs?: number;
}

let counter = 0;

/** A batch of events as the pipeline hands them over (logdriverRayId set, delivered JSON built). */
export function conformanceEvents(n: number, tenantId = 'conformance-tenant'): SinkEvent[] {
  const out: SinkEvent[] = [];
  for (let i = 0; i < n; i++) {
    counter++;
    const record: SecurityEventRecord = {
      category: i % 2 === 0 ? 'kms' : 'application',
      tenantId,
      timestampMillis: 1_780_000_000_000 + counter,
      iclFields: {
        event: i % 2 === 0 ? 'KMS_WRAP_KEY' : 'USER_LOGIN',
        requestingId: `user-${i}`,
        dataLabel: 'PII',
        sourceIp: '127.0.0.1',
        objectId: `object "${i}" \u00e9\u4e2d`,
        requestId: `req-${i}`,
        tspRayId: randomUUID(),
        logdriverRayId: `conf-${counter}`,
      },
      customFields: { field1: `value ${i}`, quote: 'a "quoted" \\ value\nnext line' },
      ...(i % 2 === 0 ? { kms: { kmsConfigId: 7, leased: true } } : {}),
    };
    out.push({ record, json: deliveredEventLine(record).slice(0, -1) });
  }
  return out;
}

function signal(ms: number): AbortSignal {
  return AbortSignal.timeout(ms);
}

async function waitFor<T>(what: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function rayIds(received: readonly Record<string, unknown>[]): string[] {
  return received.map((r) => String((r['iclFields'] as Record<string, unknown> | undefined)?.['tspRayId']));
}

/** Registers the conformance tests for one sink (call at the top level of a spec file). */
export function sinkConformance(h: ConformanceHarness): void {
  const settle = h.settleMs ?? 5000;
  const skip = h.unsupported ?? {};
  // A fault the backend cannot produce registers no test at all (the reason is in the harness).
  const none = (_name: string, _fn: () => Promise<void>): void => undefined;
  const when = (kind: keyof NonNullable<ConformanceHarness['unsupported']>): typeof none => (skip[kind] === undefined ? it : none);

  describe(`${h.name} sink conformance`, () => {
    let backend: ConformanceBackend;
    const sinkOf = closedAfterEach((opts?: { badCredentials?: boolean }): Sink => backend.sink(opts));

    beforeAll(async () => {
      backend = await h.start();
    });
    afterEach(() => backend.clearFaults());
    afterAll(async () => {
      await backend?.stop();
    });

    it('delivers a batch in the delivered shape, every field intact', async () => {
      const events = conformanceEvents(3);
      const outcome = await sinkOf().send(events, signal(10_000));
      expect(outcome).toEqual({ kind: 'delivered' });
      const got = await waitFor(() => backend.received(), (r) => events.every((e) => rayIds(r).includes(e.record.iclFields.tspRayId)), settle);
      for (const e of events) {
        const stored = got.find((r) => rayIds([r])[0] === e.record.iclFields.tspRayId);
        expect(stored).toEqual(JSON.parse(e.json));
      }
    });

    it('delivers a batch at the big-batch size whole, each event once', async () => {
      const events = conformanceEvents(h.bigBatch ?? 500);
      expect(await sinkOf().send(events, signal(20_000))).toEqual({ kind: 'delivered' });
      const want = new Set(events.map((e) => e.record.iclFields.tspRayId));
      const got = await waitFor(() => backend.received(), (r) => rayIds(r).filter((id) => want.has(id)).length >= want.size, settle);
      const ids = rayIds(got).filter((id) => want.has(id));
      expect(ids.length).toBe(want.size);
      expect(new Set(ids).size).toBe(want.size);
    });

    when('unavailable')('an unavailable backend gives retry, and a later send delivers', async () => {
      const sink = sinkOf();
      const events = conformanceEvents(2);
      backend.inject({ kind: 'unavailable' });
      const outcome = await sink.send(events, signal(10_000));
      expect(outcome.kind).toBe('retry');
      expectNoSecret(outcome, backend.secrets);
      backend.clearFaults();
      expect(await sink.send(events, signal(10_000))).toEqual({ kind: 'delivered' });
      const got = await waitFor(() => backend.received(), (r) => events.every((e) => rayIds(r).includes(e.record.iclFields.tspRayId)), settle);
      for (const e of events) expect(rayIds(got)).toContain(e.record.iclFields.tspRayId);
    });

    when('throttle')('throttling gives retry with the Retry-After the backend sent', async () => {
      backend.inject({ kind: 'throttle', retryAfterSeconds: 7 });
      const outcome = await sinkOf().send(conformanceEvents(2), signal(10_000));
      expect(outcome.kind).toBe('retry');
      expect(outcome.kind === 'retry' ? outcome.retryAfterMs : undefined).toBe(7000);
    });

    when('reject')('a permanent refusal gives reject with a reason', async () => {
      backend.inject({ kind: 'reject' });
      const outcome = await sinkOf().send(conformanceEvents(2), signal(10_000));
      expect(outcome.kind).toBe('reject');
      expect(outcome.kind === 'reject' ? outcome.reason.length : 0).toBeGreaterThan(0);
      expectNoSecret(outcome, backend.secrets);
    });

    when('partial')('item-level failures give partial naming exactly the failed items', async () => {
      const events = conformanceEvents(5);
      backend.inject({ kind: 'partial', rejectIndices: [1], retryIndices: [3] });
      const outcome = await sinkOf().send(events, signal(10_000));
      expect(outcome.kind).toBe('partial');
      const failed = outcome.kind === 'partial' ? [...outcome.failed].sort((a, b) => a.index - b.index) : [];
      expect(failed.map((f) => [f.index, f.retry])).toEqual([[1, false], [3, true]]);
      expectNoSecret(outcome, backend.secrets);
      const got = await waitFor(() => backend.received(), (r) => [0, 2, 4].every((i) => rayIds(r).includes(events[i].record.iclFields.tspRayId)), settle);
      for (const i of [0, 2, 4]) expect(rayIds(got)).toContain(events[i].record.iclFields.tspRayId);
      for (const i of [1, 3]) expect(rayIds(got)).not.toContain(events[i].record.iclFields.tspRayId);
    });

    when('auth')('bad credentials give retry marked auth, and the secret is not in the outcome', async () => {
      const events = conformanceEvents(2);
      const outcome = await sinkOf({ badCredentials: true }).send(events, signal(10_000));
      expect(outcome).toMatchObject({ kind: 'retry', auth: true });
      expectNoSecret(outcome, backend.secrets);
      const got = await backend.received();
      for (const e of events) expect(rayIds(got)).not.toContain(e.record.iclFields.tspRayId);
    });

    when('hang')('a hanging backend is given up when the signal aborts', async () => {
      backend.inject({ kind: 'hang' });
      const started = Date.now();
      const outcome = await sinkOf().send(conformanceEvents(1), signal(300));
      expect(outcome.kind).toBe('retry');
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
}
