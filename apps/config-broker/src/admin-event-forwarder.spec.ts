import { Writable } from 'node:stream';
import type { EventChannel, SecurityEventRecord } from '@tsp/events';
import { createLogger } from '@tsp/observability';
import { AdminEventForwarder, adminSecurityEvent } from './admin-event-forwarder';
import { openTestRepository, TestRepository } from './testing/test-repository';

const ctx = { actor: { kind: 'vendor-admin' as const, id: 'vendor-admin' } };
const quiet = createLogger({ level: 'error', service: 'test', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A channel that fails the first `failFirst` sends, then records what it got. */
class RecordingChannel implements EventChannel {
  readonly got: SecurityEventRecord[] = [];
  constructor(private failFirst = 0) {}
  async send(batch: readonly SecurityEventRecord[]): Promise<void> {
    if (this.failFirst > 0) {
      this.failFirst--;
      throw new Error('logdriver answered HTTP 503');
    }
    this.got.push(...batch);
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('AdminEventForwarder', () => {
  let repo: TestRepository;
  let fwd: AdminEventForwarder | undefined;
  beforeEach(() => {
    repo = openTestRepository();
  });
  afterEach(async () => {
    await fwd?.stop();
    await repo.close();
  });

  it('delivers each admin change once, in order, as an application event of its tenant, and empties the outbox', async () => {
    await repo.createTenant({ id: 't1', name: 'One' }, ctx);
    await repo.createKmsConfig({ tenantId: 't1', type: 'aws', keyPath: { keyID: 'k', region: 'eu-west-1' }, credentials: { secretAccessKey: 'do-not-leak-me' }, primary: true }, ctx);
    const channel = new RecordingChannel();
    fwd = new AdminEventForwarder({ repo, channel, logger: quiet, pollIntervalMs: 50 });
    fwd.start();
    await until(() => channel.got.length === 2);
    expect(channel.got.map((e) => [e.tenantId, e.category, e.iclFields.event, e.customFields['action']])).toEqual([
      ['t1', 'application', 'ADMIN_CHANGE_SETTING', 'tenant.create'],
      ['t1', 'application', 'ADMIN_CHANGE_SETTING', 'kms-config.create'],
    ]);
    expect(channel.got[1]?.customFields).toMatchObject({ actorKind: 'vendor-admin', actorId: 'vendor-admin' });
    expect(Object.values(channel.got[1]?.customFields ?? {}).every((v) => typeof v === 'string')).toBe(true);
    expect(JSON.stringify(channel.got)).not.toContain('do-not-leak-me');
    expect(new Set(channel.got.map((e) => e.iclFields.tspRayId)).size).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(await repo.pendingAdminEvents(10)).toEqual([]);
  });

  it('keeps events in the outbox while the channel fails and delivers them after (no loss), woken by notify', async () => {
    const channel = new RecordingChannel(2);
    fwd = new AdminEventForwarder({ repo, channel, logger: quiet, pollIntervalMs: 60_000, maxBackoffMs: 50 });
    fwd.start();
    await repo.createTenant({ id: 't2', name: 'Two' }, ctx);
    fwd.notify();
    await until(() => channel.got.length === 1);
    expect(fwd.counts.failedSends).toBeGreaterThanOrEqual(1);
    await repo.updateTenant('t2', { name: 'Two!' }, ctx);
    fwd.notify();
    await until(() => channel.got.length === 2);
    expect(channel.got.map((e) => e.customFields['action'])).toEqual(['tenant.create', 'tenant.update']);
  });

  it('derives a stable ray id from the outbox row, so a re-sent batch is de-duplicated', () => {
    const r = { id: 7, tenantId: 't', event: 'ADMIN_ADD', actor: { kind: 'vendor-admin' as const, id: 'vendor-admin' }, details: { action: 'tenant-admin.invite', n: 1 }, at: '2026-01-01T00:00:00.000Z' };
    expect(adminSecurityEvent(r)).toEqual(adminSecurityEvent(r));
    expect(adminSecurityEvent(r).customFields).toEqual({ actorKind: 'vendor-admin', actorId: 'vendor-admin', action: 'tenant-admin.invite', n: '1' });
    expect(adminSecurityEvent(r).timestampMillis).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
  });
});
