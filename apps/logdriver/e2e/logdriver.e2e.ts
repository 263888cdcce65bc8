import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '@tsp/test-support';
import type { WireEvent } from '@tsp/events';
import { LogdriverProcess, postEvents, rayIdOf, readDelivered, startLogdriver } from './logdriver-process';

const TENANTS = ['acme', 'tenant/two', 'ünï-3', '..'];

function wireEvent(id: string, tenantId: string, n: number): WireEvent {
  return {
    eventId: id,
    category: n % 2 === 0 ? 'application' : 'kms',
    tenantId,
    timestampMillis: Date.UTC(2026, 4, 5, 17, 44, 42, 656) + n,
    iclFields: { event: n % 2 === 0 ? 'USER_LOGIN' : 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: id },
    customFields: { n: String(n) },
    ...(n % 2 === 1 ? { kms: { kmsConfigId: 7, leased: true } } : {}),
  };
}

describe('logdriver (built app, child process)', () => {
  let dir: string;
  let spoolDir: string;
  let eventsDir: string;
  const running: LogdriverProcess[] = [];
  const start = async (env?: Record<string, string>): Promise<LogdriverProcess> => {
    const p = await startLogdriver({ spoolDir, eventsDir, ...(env !== undefined ? { env } : {}) });
    running.push(p);
    return p;
  };
  const pending = async (p: LogdriverProcess): Promise<number> =>
    ((await (await fetch(`${p.url}/health`)).json()) as { spool: { pendingEvents: number } }).spool.pendingEvents;
  const deliveredIds = (): string[] => [...readDelivered(eventsDir).byFile.values()].flat().map(rayIdOf);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-logdriver-e2e-'));
    spoolDir = path.join(dir, 'spool');
    eventsDir = path.join(dir, 'events');
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers posted batches to one NDJSON file per tenant in the delivered shape; SIGTERM exits 0', async () => {
    const ld = await start();
    const events = TENANTS.flatMap((t, i) => [0, 1, 2].map((k) => wireEvent(`ev-${i}-${k}`, t, k)));
    const res = await postEvents(ld.url, events);
    expect(res).toEqual({ status: 200, body: { accepted: 12, duplicates: 0 } });
    expect(await postEvents(ld.url, events.slice(0, 2))).toEqual({ status: 200, body: { accepted: 0, duplicates: 2 } });
    await waitUntil(() => deliveredIds().length === 12, 10000, 'delivery');
    const { byFile, unparsable } = readDelivered(eventsDir);
    expect(unparsable).toBe(0);
    expect([...byFile.keys()].sort()).toEqual(['%2E..ndjson', 'acme.ndjson', 'tenant%2Ftwo.ndjson', '%C3%BCn%C3%AF-3.ndjson'].sort());
    const ray = expect.stringMatching(/^[0-9a-f]{12}-\d+$/) as string;
    expect(byFile.get('acme.ndjson')).toEqual([
      { tenantId: 'acme', timestamp: '2026-05-05T17:44:42.656Z', iclFields: { event: 'USER_LOGIN', requestingId: 'svc', tspRayId: 'ev-0-0', logdriverRayId: ray }, customFields: { n: '0' } },
      { tenantId: 'acme', timestamp: '2026-05-05T17:44:42.657Z', iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: 'ev-0-1', logdriverRayId: ray }, customFields: { n: '1' }, kms: { kmsConfigId: 7, leased: true } },
      { tenantId: 'acme', timestamp: '2026-05-05T17:44:42.658Z', iclFields: { event: 'USER_LOGIN', requestingId: 'svc', tspRayId: 'ev-0-2', logdriverRayId: ray }, customFields: { n: '2' } },
    ]);
    expect(byFile.get('tenant%2Ftwo.ndjson')?.every((l) => l['tenantId'] === 'tenant/two')).toBe(true);
    await waitUntil(async () => (await pending(ld)) === 0, 5000, 'spool drained');
    const metrics = await (await fetch(`${ld.url}/metrics`)).text();
    expect(metrics).toMatch(/tsp_logdriver_events_delivered_total\{sink="file"\} 12/);
    expect(await ld.stop('SIGTERM')).toBe(0);
  });

  it('refuses malformed batches with 400 code 102 naming the field and stores nothing of them', async () => {
    const ld = await start();
    const good = [0, 1, 2, 3, 4].map((k) => wireEvent(`bad-${k}`, 'acme', k));
    const missing = good.map((e) => ({ ...e })) as Partial<WireEvent>[];
    delete missing[3].tenantId;
    let res = await postEvents(ld.url, missing);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 102, message: 'Invalid request body: events.3.tenantId is required' });
    res = await postEvents(ld.url, good.map((e, i) => (i === 4 ? { ...e, timestampMillis: '1700000000000' } : e)));
    expect(res.status).toBe(400);
    expect(res.body['message']).toContain('events.4.timestampMillis must be integer');
    const extra = await fetch(`${ld.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: good, pad: 'x'.repeat(2048) }) });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { message: string }).message).toContain("body has unknown property 'pad'");
    expect(await pending(ld)).toBe(0);
    // A sentinel batch afterwards is delivered alone: nothing of the refused batches shows up.
    expect((await postEvents(ld.url, [wireEvent('sentinel', 'acme', 0)])).status).toBe(200);
    await waitUntil(() => deliveredIds().includes('sentinel'), 10000, 'sentinel delivered');
    expect(deliveredIds()).toEqual(['sentinel']);
  });

  it('refuses to start on an unknown TSP_LOGDRIVER_ variable, naming it', async () => {
    const p = await startLogdriver({ spoolDir, eventsDir, env: { TSP_LOGDRIVER_PROT: '1' }, expectExit: true });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('TSP_LOGDRIVER_PROT is not a known setting');
  });

  it('crash safety: kill -9 mid-posting, restart on the same spool, re-post the unacknowledged batches; every acknowledged event is delivered', async () => {
    const BATCHES = 40;
    const PER_BATCH = 500;
    const batches = Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: PER_BATCH }, (_, i) => wireEvent(`crash-${b}-${i}`, TENANTS[(b + i) % TENANTS.length], i)),
    );
    const acked = new Set<number>();
    let ld = await start();
    let killed = false;
    let lostInFlight = 0;
    // Four posters in parallel, so the kill lands while requests are in flight.
    let next = 0;
    const poster = async (): Promise<void> => {
      while (next < BATCHES && !killed) {
        const b = next++;
        try {
          const res = await postEvents(ld.url, batches[b]);
          if (res.status === 200) acked.add(b);
        } catch {
          lostInFlight++; // connection reset by the kill: not acknowledged
        }
        if (!killed && acked.size >= BATCHES / 2) {
          killed = true;
          ld.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([poster(), poster(), poster(), poster()]);
    expect(await ld.exited).toBeNull(); // killed by a signal
    const ackedBeforeCrash = acked.size;
    expect(ackedBeforeCrash).toBeGreaterThanOrEqual(BATCHES / 2);
    expect(ackedBeforeCrash).toBeLessThan(BATCHES);
    expect(lostInFlight).toBeGreaterThan(0); // the kill hit requests in flight

    ld = await start();
    for (let b = 0; b < BATCHES; b++) {
      if (acked.has(b)) continue;
      const res = await postEvents(ld.url, batches[b]);
      expect(res.status).toBe(200);
      acked.add(b);
    }
    expect(acked.size).toBe(BATCHES);
    await waitUntil(async () => (await pending(ld)) === 0, 30000, 'spool drained after restart');

    const counts = new Map<string, number>();
    for (const id of deliveredIds()) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = batches.flat().filter((e) => !counts.has(e.eventId));
    expect(missing.map((e) => e.eventId)).toEqual([]);
    // Nothing foreign, and each file holds only its tenant's events.
    expect(counts.size).toBe(BATCHES * PER_BATCH);
    for (const [file, lines] of readDelivered(eventsDir).byFile) {
      expect(new Set(lines.map((l) => l['tenantId'])).size).toBe(1);
      expect(file.endsWith('.ndjson')).toBe(true);
    }
    // At most one cut line per file from the kill (kept on its own line by the sink).
    expect(readDelivered(eventsDir).unparsable).toBeLessThanOrEqual(TENANTS.length);
    expect(await ld.stop('SIGTERM')).toBe(0);
  }, 60000);
});
