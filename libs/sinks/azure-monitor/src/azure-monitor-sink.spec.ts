import { randomUUID } from 'node:crypto';
import { closedAfterEach, conformanceEvents, sinkConformance } from '@tsp/sink-conformance';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { Sink, SinkEvent } from '@tsp/sinks-core';
import { deliveredEventLine, SecurityEventRecord } from '@tsp/events';
import { FakeAzureMonitor, startFakeAzureMonitor } from '@tsp/fake-azure-monitor';
import { azureMonitorSinkPlugin } from './azure-monitor-sink';

const host = { tenantId: 't', sinkId: 'am', eventsDir: undefined, stdout: process.stdout };
const WRONG_SECRET = `wrong-secret-${randomUUID()}`;

function configFor(fake: FakeAzureMonitor, overrides: { secret?: string; settings?: Record<string, unknown> } = {}): LoggingSinkConfig {
  return {
    id: 'am',
    type: 'azure-monitor',
    settings: {
      endpoint: fake.url,
      ruleId: fake.ruleId,
      streamName: fake.streamName,
      authorityHost: fake.authorityHost,
      caCertificate: fake.caCert,
      ...overrides.settings,
    },
    credentials: { tenantId: fake.tenantGuid, clientId: fake.clientId, clientSecret: overrides.secret ?? fake.clientSecret },
  };
}

/** A stored row back in the delivered shape (what the conformance suite compares). */
function deliveredFromRow(r: Record<string, unknown>): Record<string, unknown> {
  const icl: Record<string, unknown> = {
    event: r['Event'],
    requestingId: r['RequestingId'],
    dataLabel: r['DataLabel'],
    sourceIp: r['SourceIp'],
    objectId: r['ObjectId'],
    requestId: r['RequestId'],
    tspRayId: r['TspRayId'],
    logdriverRayId: r['LogdriverRayId'],
  };
  for (const k of Object.keys(icl)) if (icl[k] === undefined) delete icl[k];
  return {
    tenantId: r['TenantId'],
    timestamp: r['TimeGenerated'],
    iclFields: icl,
    customFields: r['CustomFields'],
    ...(r['Kms'] !== undefined ? { kms: r['Kms'] } : {}),
  };
}

sinkConformance({
  name: 'azure-monitor',
  unsupported: {
    partial:
      'the Logs Ingestion API accepts or refuses one call whole (no item-level results); a batch spanning several 1 MB calls fails in part, tested below',
  },
  async start() {
    const fake = await startFakeAzureMonitor();
    return {
      sink: (opts) => azureMonitorSinkPlugin.create(configFor(fake, opts?.badCredentials === true ? { secret: WRONG_SECRET } : {}), host),
      received: async () => fake.received().map(deliveredFromRow),
      inject: (f) => {
        if (f.kind === 'unavailable') fake.addFault({ fault: 'unavailable' });
        else if (f.kind === 'throttle') fake.addFault({ fault: 'throttle', retryAfterSeconds: f.retryAfterSeconds });
        else if (f.kind === 'reject') fake.addFault({ fault: 'bad-request' });
        else if (f.kind === 'hang') fake.addFault({ fault: 'hang' });
        else throw new Error(`unsupported fault ${f.kind}`);
      },
      clearFaults: () => fake.clearFaults(),
      secrets: [fake.clientSecret, WRONG_SECRET],
      stop: () => fake.close(),
    };
  },
});

/** An event whose customFields carry `size` characters (to fill SDK calls). */
function bigEvent(size: number): SinkEvent {
  const [e] = conformanceEvents(1);
  const record: SecurityEventRecord = { ...e.record, customFields: { blob: 'x'.repeat(size) } };
  return { record, json: deliveredEventLine(record).slice(0, -1) };
}

describe('azure-monitor sink against the fake', () => {
  let fake: FakeAzureMonitor;
  const sinkOf = closedAfterEach((config: LoggingSinkConfig) => azureMonitorSinkPlugin.create(config, host));
  const send = (s: Sink, events: readonly SinkEvent[]) => s.send(events, AbortSignal.timeout(15_000));

  beforeAll(async () => {
    fake = await startFakeAzureMonitor();
  });
  afterEach(() => {
    fake.clearFaults();
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('posts one gzipped JSON array per call, one flattened row per event, with a bearer token', async () => {
    const events = conformanceEvents(2);
    expect(await send(sinkOf(configFor(fake)), events)).toEqual({ kind: 'delivered' });
    const calls = fake.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ ruleId: fake.ruleId, stream: 'Custom-TspEvents_CL', status: 204, contentEncoding: 'gzip', rows: 2 });
    expect(calls[0].contentType).toMatch(/^application\/json/);
    expect(calls[0].wireBytes).toBeLessThan(calls[0].bytes);
    expect(fake.counts()).toMatchObject({ token: 1, tokenGranted: 1 });
    const kmsEvent = events[0].record;
    expect(fake.received()[0]).toEqual({
      TimeGenerated: new Date(kmsEvent.timestampMillis).toISOString(),
      TenantId: 'conformance-tenant',
      Event: 'KMS_WRAP_KEY',
      RequestingId: 'user-0',
      DataLabel: 'PII',
      SourceIp: '127.0.0.1',
      ObjectId: 'object "0" \u00e9\u4e2d',
      RequestId: 'req-0',
      TspRayId: kmsEvent.iclFields.tspRayId,
      LogdriverRayId: kmsEvent.iclFields.logdriverRayId,
      CustomFields: { field1: 'value 0', quote: 'a "quoted" \\ value\nnext line' },
      Kms: { kmsConfigId: 7, leased: true },
    });
    expect(fake.received()[1]).not.toHaveProperty('Kms');
  });

  it('reuses its token for later sends', async () => {
    const sink = sinkOf(configFor(fake));
    expect(await send(sink, conformanceEvents(1))).toEqual({ kind: 'delivered' });
    expect(await send(sink, conformanceEvents(1))).toEqual({ kind: 'delivered' });
    expect(fake.counts()).toMatchObject({ token: 1, ingest: 2, accepted: 2 });
  });

  it('maps a failed call of a multi-call batch back to exactly its events (partial, retry by status)', async () => {
    // ~300 kB a row: the SDK puts 3 rows in a call (under 1,000,000 bytes), so 9 rows make 3 calls.
    const events = Array.from({ length: 9 }, () => bigEvent(300_000));
    fake.addFault({ fault: 'unavailable', skip: 1, times: 1 });
    fake.addFault({ fault: 'bad-request', skip: 2, times: 1 });
    const outcome = await send(sinkOf(configFor(fake)), events);
    expect(fake.calls().map((c) => [c.status])).toEqual([[204], [503], [400]]);
    expect(outcome.kind).toBe('partial');
    const failed = outcome.kind === 'partial' ? outcome.failed : [];
    expect(failed.map((f) => [f.index, f.retry])).toEqual([
      [3, true], [4, true], [5, true],
      [6, false], [7, false], [8, false],
    ]);
    expect(failed[0].reason).toBe('Azure Monitor answered 503: ServiceUnavailable');
    expect(failed[3].reason).toBe('Azure Monitor answered 400: InvalidPayload');
    const stored = fake.received().map((r) => r['TspRayId']);
    expect(stored).toEqual(events.slice(0, 3).map((e) => e.record.iclFields.tspRayId));
  });

  it('every call of a multi-call batch throttled: one retry with the longest Retry-After', async () => {
    const events = Array.from({ length: 6 }, () => bigEvent(300_000));
    fake.addFault({ fault: 'throttle', retryAfterSeconds: 3, times: 1 });
    fake.addFault({ fault: 'throttle', retryAfterSeconds: 9, times: 1 });
    expect(await send(sinkOf(configFor(fake)), events)).toEqual({ kind: 'retry', reason: 'Azure Monitor answered 429: TooManyRequests', retryAfterMs: 9000 });
    expect(fake.calls()).toHaveLength(2);
  });

  it('an event over 1 MB is refused with 413 and rejected', async () => {
    const outcome = await send(sinkOf(configFor(fake)), [bigEvent(1_100_000)]);
    expect(outcome).toEqual({ kind: 'reject', reason: 'Azure Monitor answered 413: ContentLengthLimitExceeded' });
    expect(fake.calls()[0].wireBytes).toBeLessThan(100_000); // gzipped; the fake measured it decompressed
  });

  it('an unknown stream or rule is rejected (404), naming the service code', async () => {
    const stream = await send(sinkOf(configFor(fake, { settings: { streamName: 'Custom-Other_CL' } })), conformanceEvents(1));
    expect(stream).toEqual({ kind: 'reject', reason: 'Azure Monitor answered 404: InvalidStream' });
    const rule = await send(sinkOf(configFor(fake, { settings: { ruleId: `dcr-${'0'.repeat(32)}` } })), conformanceEvents(1));
    expect(rule).toEqual({ kind: 'reject', reason: 'Azure Monitor answered 404: NotFound' });
  });

  it('401 and 403 from the service are auth retries', async () => {
    fake.addFault({ fault: 'unauthorized', times: 1 });
    expect(await send(sinkOf(configFor(fake)), conformanceEvents(1))).toEqual({
      kind: 'retry',
      reason: 'Azure Monitor answered 401: InvalidAuthenticationToken',
      auth: true,
    });
    fake.addFault({ fault: 'forbidden', times: 1 });
    expect(await send(sinkOf(configFor(fake)), conformanceEvents(1))).toEqual({ kind: 'retry', reason: 'Azure Monitor answered 403: OperationFailed', auth: true });
  });

  it('a wrong client secret is an auth retry naming AADSTS7000215, without the secret', async () => {
    const outcome = await send(sinkOf(configFor(fake, { secret: WRONG_SECRET })), conformanceEvents(1));
    expect(outcome).toEqual({ kind: 'retry', reason: 'Entra ID refused the token request: invalid_client AADSTS7000215', auth: true });
    expect(JSON.stringify(outcome)).not.toContain(WRONG_SECRET);
    expect(fake.counts().ingest).toBe(0);
  });

  it('an unavailable token endpoint is a plain retry, not auth', async () => {
    fake.addFault({ ops: ['token'], fault: 'unavailable' });
    expect(await send(sinkOf(configFor(fake)), conformanceEvents(1))).toEqual({
      kind: 'retry',
      reason: 'Entra ID token request failed: temporarily_unavailable AADSTS90033',
    });
    expect(fake.counts().ingest).toBe(0);
  });

  it('a refused connection is a retry naming the transport error (endpoint or authority), not auth', async () => {
    const down = await startFakeAzureMonitor();
    const config = configFor(down);
    await down.close();
    expect(await send(sinkOf(config), conformanceEvents(1))).toEqual({ kind: 'retry', reason: 'Entra ID token request failed: endpoints_resolution_error' });
    const endpointDown = configFor(fake, { settings: { endpoint: down.url } });
    expect(await send(sinkOf(endpointDown), conformanceEvents(1))).toEqual({ kind: 'retry', reason: 'Azure Monitor unreachable (ECONNREFUSED)' });
  });

  it('a dropped connection is a retry', async () => {
    fake.addFault({ fault: 'drop' });
    expect(await send(sinkOf(configFor(fake)), conformanceEvents(1))).toEqual({ kind: 'retry', reason: 'Azure Monitor unreachable (ECONNRESET)' });
  });

  it('a deadline between calls gives retry, and promptly', async () => {
    const events = Array.from({ length: 6 }, () => bigEvent(300_000));
    fake.addFault({ latencyMs: 2000, skip: 1 });
    const started = Date.now();
    const outcome = await sinkOf(configFor(fake)).send(events, AbortSignal.timeout(800));
    expect(outcome).toEqual({ kind: 'retry', reason: 'Azure Monitor send aborted' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an untrusted certificate is a retry, never a delivery', async () => {
    const config = configFor(fake);
    delete (config.settings as Record<string, unknown>)['caCertificate'];
    expect(await send(sinkOf(config), conformanceEvents(1))).toEqual({ kind: 'retry', reason: 'Entra ID token request failed: endpoints_resolution_error' });
    expect(fake.counts().accepted).toBe(0);
  });
});
