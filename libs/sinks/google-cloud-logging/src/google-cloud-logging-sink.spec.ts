import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { closedAfterEach, conformanceEvents, sinkConformance } from '@tsp/sink-conformance';
import { FakeGoogleCloudLogging, startFakeGoogleCloudLogging } from '@tsp/fake-google-cloud-logging';
import type { Sink } from '@tsp/sinks-core';
import { googleCloudLoggingSinkPlugin } from './google-cloud-logging-sink';
import { configFor, guardLoopback, host, PROJECT, strangerKey } from './spec-support';

sinkConformance({
  name: 'google-cloud-logging',
  async start() {
    const fake = await startFakeGoogleCloudLogging();
    const stranger = strangerKey();
    return {
      sink: (opts) => googleCloudLoggingSinkPlugin.create(configFor(fake, opts?.badCredentials ? { credentials: { private_key: stranger } } : {}), host),
      received: async () => fake.received(),
      inject: (f) => fake.inject(f),
      clearFaults: () => fake.clearFaults(),
      secrets: [fake.serviceAccount?.private_key ?? '', stranger],
      stop: () => fake.stop(),
    };
  },
});

describe('google-cloud-logging sink against the fake', () => {
  let fake: FakeGoogleCloudLogging;
  const created = closedAfterEach((config: LoggingSinkConfig) => googleCloudLoggingSinkPlugin.create(config, host));
  const sinkFor = (over: Parameters<typeof configFor>[1] = {}): Sink => created(configFor(fake, over));
  const deadline = (): AbortSignal => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await startFakeGoogleCloudLogging();
  });
  afterEach(() => {
    fake.clearFaults();
    fake.setLatency(0);
  });
  afterAll(() => fake.stop());

  it('sends one entries:write over REST with the documented entry fields', async () => {
    const events = conformanceEvents(2, 'tenant-a');
    expect(await sinkFor({ settings: { logId: 'tsp/security.events' } }).send(events, deadline())).toEqual({ kind: 'delivered' });
    const req = fake.requests().at(-1)!;
    expect(req).toMatchObject({ path: '/v2/entries:write', query: '?$alt=json;enum-encoding=int', contentType: 'application/json', httpStatus: 200 });
    expect(req.apiClient).toContain('gapic/');
    const logName = `projects/${PROJECT}/logs/tsp%2Fsecurity.events`;
    expect(req.body).toMatchObject({ logName, resource: { type: 'global' }, labels: { tenantId: 'tenant-a' }, partialSuccess: true });
    const stored = fake.entries().slice(-2);
    stored.forEach((entry, i) => {
      const r = events[i].record;
      expect(entry).toMatchObject({
        logName,
        insertId: r.iclFields.tspRayId,
        timestamp: new Date(r.timestampMillis).toISOString(),
        severity: 'NOTICE',
        labels: { tenantId: 'tenant-a' },
        resource: { type: 'global', labels: {} },
      });
      expect(entry.jsonPayload).toEqual(JSON.parse(events[i].json));
    });
    expect((req.body as { entries: Array<{ severity: unknown }> }).entries[0].severity).toBe(300);
  });

  it('uses the configured severity and monitored resource', async () => {
    const events = conformanceEvents(1);
    const settings = { severity: 'INFO', resource: { type: 'generic_task', labels: { project_id: PROJECT, location: 'global', namespace: 'tsp', job: 'logdriver', task_id: '1' } } };
    expect(await sinkFor({ settings }).send(events, deadline())).toEqual({ kind: 'delivered' });
    expect(fake.entries().at(-1)).toMatchObject({ severity: 'INFO', resource: settings.resource });
  });

  it('a redelivered batch is stored once (insertId = tspRayId)', async () => {
    const events = conformanceEvents(3);
    const sink = sinkFor();
    expect(await sink.send(events, deadline())).toEqual({ kind: 'delivered' });
    expect(await sink.send(events, deadline())).toEqual({ kind: 'delivered' });
    const ids = new Set(events.map((e) => e.record.iclFields.tspRayId));
    expect(fake.entries().filter((e) => ids.has(e.insertId))).toHaveLength(3);
  });

  it('rejects an entry over 256 KB locally and sends the others; a batch of only such entries is rejected', async () => {
    const events = conformanceEvents(3);
    const big = { ...events[1], json: events[1].json.replace('"field1":"value 1"', `"field1":"${'x'.repeat(300 * 1024)}"`) };
    const outcome = await sinkFor().send([events[0], big, events[2]], deadline());
    expect(outcome).toEqual({ kind: 'partial', failed: [{ index: 1, retry: false, reason: 'Cloud Logging refuses an entry over 256 KB' }] });
    const ids = fake.entries().map((e) => e.insertId);
    expect(ids).toEqual(expect.arrayContaining([events[0].record.iclFields.tspRayId, events[2].record.iclFields.tspRayId]));
    expect(ids).not.toContain(events[1].record.iclFields.tspRayId);
    expect(await sinkFor().send([big], deadline())).toMatchObject({ kind: 'reject' });
  });

  it('a revoked token gives retry auth, and the next send fetches a fresh token and delivers', async () => {
    const sink = sinkFor();
    expect(await sink.send(conformanceEvents(1), deadline())).toEqual({ kind: 'delivered' });
    const issued = fake.stats().tokensIssued;
    fake.revokeTokens();
    expect(await sink.send(conformanceEvents(1), deadline())).toMatchObject({ kind: 'retry', auth: true, reason: expect.stringContaining('UNAUTHENTICATED') });
    expect(await sink.send(conformanceEvents(1), deadline())).toEqual({ kind: 'delivered' });
    expect(fake.stats().tokensIssued).toBe(issued + 1);
  });

  it('PERMISSION_DENIED gives retry auth naming the IAM reason', async () => {
    fake.inject({ kind: 'permission-denied' });
    expect(await sinkFor().send(conformanceEvents(1), deadline())).toMatchObject({ kind: 'retry', auth: true, reason: expect.stringContaining('PERMISSION_DENIED/IAM_PERMISSION_DENIED') });
  });

  it('an unknown service account at the token endpoint gives retry auth with the OAuth error, never the key', async () => {
    const key = strangerKey();
    const outcome = await sinkFor({ credentials: { client_email: 'other@p.iam.gserviceaccount.com', private_key: key } }).send(conformanceEvents(1), deadline());
    expect(outcome).toEqual({ kind: 'retry', auth: true, reason: 'Cloud Logging token endpoint answered 400 (invalid_grant)' });
  });

  it('an unreachable token endpoint or API gives retry (not auth) naming the network error', async () => {
    const closed = await startFakeGoogleCloudLogging();
    const url = closed.url;
    await closed.stop();
    const viaToken = await sinkFor({ credentials: { token_uri: `${url}/token` } }).send(conformanceEvents(1), deadline());
    expect(viaToken).toEqual({ kind: 'retry', reason: 'Cloud Logging unreachable (ECONNREFUSED)' });
    fake.inject({ kind: 'drop' });
    expect(await sinkFor().send(conformanceEvents(1), deadline())).toEqual({ kind: 'retry', reason: 'Cloud Logging unreachable (ECONNRESET)' });
  });

  it('INTERNAL gives retry; the SDK does not retry on its own (one request per send)', async () => {
    const sink = sinkFor();
    await sink.send(conformanceEvents(1), deadline());
    const before = fake.stats().writeRequests;
    fake.inject({ kind: 'internal' });
    expect(await sink.send(conformanceEvents(1), deadline())).toEqual({ kind: 'retry', reason: 'Cloud Logging answered INTERNAL: Internal error encountered.' });
    fake.inject({ kind: 'unavailable' });
    expect((await sink.send(conformanceEvents(1), deadline())).kind).toBe('retry');
    expect(fake.stats().writeRequests - before).toBe(2);
  });

  it('a slow answer past settings.timeoutMs gives retry', async () => {
    fake.setLatency(2000);
    const started = Date.now();
    expect(await sinkFor({ settings: { timeoutMs: 300 } }).send(conformanceEvents(1), deadline())).toEqual({ kind: 'retry', reason: 'Cloud Logging did not answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('an already aborted signal gives retry without a request', async () => {
    const before = fake.stats().writeRequests;
    const ac = new AbortController();
    ac.abort();
    expect((await sinkFor().send(conformanceEvents(1), ac.signal)).kind).toBe('retry');
    expect(fake.stats().writeRequests).toBe(before);
  });

  it('never puts the private key, an access token or a JWT in an outcome', async () => {
    const key = fake.serviceAccount!.private_key;
    const outcomes = [];
    for (const f of [{ kind: 'reject' }, { kind: 'unauthenticated' }, { kind: 'throttle', retryAfterSeconds: 1 }, { kind: 'partial', rejectIndices: [0], retryIndices: [] }] as const) {
      fake.inject(f);
      outcomes.push(await sinkFor().send(conformanceEvents(2), deadline()));
    }
    outcomes.push(await sinkFor({ credentials: { private_key: strangerKey() } }).send(conformanceEvents(1), deadline()));
    const text = JSON.stringify(outcomes);
    expect(text).not.toContain(key.split('\n')[1]);
    expect(text).not.toMatch(/BEGIN|ya29\.|eyJ/);
  });

  it('connects to nothing but the loopback fake (no metadata server, no googleapis.com)', async () => {
    // A fresh fake: pooled keep-alive sockets to the shared one would open no connection.
    const own = await startFakeGoogleCloudLogging();
    const guard = guardLoopback();
    try {
      const sink = created(configFor(own));
      expect(await sink.send(conformanceEvents(2), deadline())).toEqual({ kind: 'delivered' });
      expect(guard.destinations.length).toBeGreaterThanOrEqual(2); // token endpoint + entries:write
      expect(guard.refused).toEqual([]);
    } finally {
      guard.restore();
      await own.stop();
    }
  });
});
