import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { environmentWithServiceAccountFile } from '@tsp/app-support';
import { createLogger } from '@tsp/observability';
import type { DeliveryOutcome, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { TestEnvironment, waitUntil } from '@tsp/test-support';
import { parseLogdriverConfig } from './logdriver-config';
import { createLogdriverRuntime, LogdriverRuntime } from './logdriver-runtime';

/**
 * Until the first config document loads, the logdriver spools events but delivers none (a tenant
 * must not see its events go to the default sink because the broker was briefly away), and the
 * per-tenant quota already holds. Once the document is there, delivery starts by itself.
 */
const silent = createLogger({ level: 'error', service: 'test', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

let work: string;
let te: TestEnvironment;
let rt: LogdriverRuntime | undefined;
const got: string[] = [];

const plugin: SinkPlugin = {
  type: 'test',
  limits: { maxEvents: 1000, maxBytes: 1 << 24 },
  validate: () => [],
  create: () => ({
    type: 'test',
    async send(batch: readonly SinkEvent[]): Promise<DeliveryOutcome> {
      got.push(...batch.map((e) => e.record.iclFields.tspRayId));
      return { kind: 'delivered' };
    },
    close: async () => undefined,
  }),
};

function events(tenantId: string, from: number, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `cl-${from + i}`, category: 'application', tenantId, timestampMillis: 1_780_000_000_000,
    iclFields: { event: 'USER_LOGIN', requestingId: 'u', tspRayId: `cl-ray-${from + i}` }, customFields: { pad: 'x'.repeat(200) },
  }));
}

async function post(base: string, evs: readonly Record<string, unknown>[]): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: evs }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-config-loading-'));
  te = await TestEnvironment.create();
});
afterAll(async () => {
  await rt?.shutdown();
  te.remove();
  rmSync(work, { recursive: true, force: true });
});

test('events are spooled, counted against the quota and held until the first document loads; then delivered', async () => {
  const documentFile = path.join(work, 'document.json');
  const config = parseLogdriverConfig(
    environmentWithServiceAccountFile({
      TSP_SERVICE_ACCOUNT_FILE: te.env.serviceAccountFile,
      TSP_CONFIG_URL: pathToFileURL(documentFile).href,
      TSP_LOGDRIVER_PORT: '0',
      TSP_LOGDRIVER_SPOOL_DIR: path.join(work, 'spool'),
      TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '10',
      TSP_LOGDRIVER_TENANT_QUOTA_BYTES: '4096',
    }),
  );
  rt = createLogdriverRuntime(config, silent, { plugins: [plugin], defaultSink: 'test', initialLoadRetryMs: 100 });
  const base = `http://127.0.0.1:${(await rt.start()).port}`;
  const first = await post(base, events('not-in-doc', 0, 5));
  expect(first).toEqual({ accepted: 5, duplicates: 0 });
  let refused = 0;
  for (let i = 1; i < 6; i++) refused += Number((await post(base, events('not-in-doc', i * 5, 5)))['refused'] ?? 0);
  expect(refused).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 300));
  expect(got).toEqual([]);
  copyFileSync(te.env.documentFile, documentFile);
  await waitUntil(() => got.length === 30 - refused, 5000, 'delivery after the document loaded');
  expect(got.slice(0, 5)).toEqual(['cl-ray-0', 'cl-ray-1', 'cl-ray-2', 'cl-ray-3', 'cl-ray-4']);
});
