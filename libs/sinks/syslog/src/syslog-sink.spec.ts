import { closedAfterEach, conformanceEvents } from '@tsp/sink-conformance';
import type { SinkEvent } from '@tsp/sinks-core';
import { deliveredEventLine, SecurityEventRecord } from '@tsp/events';
import { RsyslogServer, startRsyslog } from '@tsp/test-support';
import { syslogSinkPlugin } from './syslog-sink';
import { deliveredOf, silentServer, syslogConfig } from './syslog-test-backend';

const host = { tenantId: 't', sinkId: 'sys', eventsDir: undefined, stdout: process.stdout };

function eventOf(record: SecurityEventRecord): SinkEvent {
  return { record, json: deliveredEventLine(record).slice(0, -1) };
}

function withRecord(e: SinkEvent, change: (r: SecurityEventRecord) => SecurityEventRecord): SinkEvent {
  return eventOf(change(e.record));
}

const rayId = (m: Record<string, unknown>): string => String((m['iclFields'] as Record<string, unknown>)['tspRayId']);

describe('syslog sink against a real rsyslogd', () => {
  let r: RsyslogServer;
  const sinkOf = closedAfterEach((...args: Parameters<typeof syslogConfig>) => syslogSinkPlugin.create(syslogConfig(...args), host));
  const arrived = async (events: readonly SinkEvent[]) => {
    const want = events.map((e) => e.record.iclFields.tspRayId);
    const got = await r.waitFor((m) => want.every((id) => m.some((x) => x.msg.includes(id))));
    return got.filter((m) => want.some((id) => m.msg.includes(id)));
  };

  beforeAll(async () => {
    r = await startRsyslog();
  });
  afterAll(async () => {
    await r?.dispose();
  });

  it('sends one RFC 5424 message per event with the documented header and structured data', async () => {
    const [event] = conformanceEvents(1, 'tenant-a');
    expect(await sinkOf(r, 'tcp').send([event], AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [m] = await arrived([event]);
    const ts = new Date(event.record.timestampMillis).toISOString();
    const sd = `[tsp@32473 tenantId="tenant-a" tspRayId="${event.record.iclFields.tspRayId}" logdriverRayId="${event.record.iclFields.logdriverRayId}"]`;
    // authpriv (10) * 8 + informational (6)
    expect(m.raw).toBe(`<86>1 ${ts} logdriver-test tenant-security - KMS_WRAP_KEY ${sd} ${event.json}`);
    expect(m).toMatchObject({ pri: 86, hostname: 'logdriver-test', appName: 'tenant-security', procId: '-', msgId: 'KMS_WRAP_KEY', structuredData: sd });
    expect(deliveredOf(m)).toEqual(JSON.parse(event.json));
  });

  it('escapes ", \\ and ] in structured data values, and rsyslogd parses them back', async () => {
    const event = withRecord(conformanceEvents(1)[0], (rec) => ({ ...rec, tenantId: 'ten"ant\\x]y' }));
    expect(await sinkOf(r, 'tcp').send([event], AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [m] = await arrived([event]);
    expect(m.structuredData).toContain('tenantId="ten\\"ant\\\\x\\]y"');
    expect(m.msgId).toBe('KMS_WRAP_KEY');
    expect(deliveredOf(m)['tenantId']).toBe('ten"ant\\x]y');
  });

  it('keeps a multi-line, non-ASCII custom field intact; MSGID is sanitised and a failed kms event is a warning', async () => {
    const base = conformanceEvents(1)[0];
    const event = withRecord(base, (rec) => ({
      ...rec,
      iclFields: { ...rec.iclFields, event: 'custom event é with a name longer than thirty-two' },
      customFields: { note: 'first line\nsecond line\r\n\ttabbed \u00e9\u4e2d\u{1F512} "q" \\ ]', empty: '' },
      kms: { errorCode: 301 },
    }));
    expect(await sinkOf(r, 'tls').send([event], AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [m] = await arrived([event]);
    expect(deliveredOf(m)).toEqual(JSON.parse(event.json));
    expect(m.msgId).toBe('custom_event___with_a_name_longe');
    expect(m.pri).toBe(10 * 8 + 4);
    expect(m.listener).toBe('tls');
  });

  it('honours facility, appName, sdId and utf8Bom settings', async () => {
    const [event] = conformanceEvents(1);
    const sink = sinkOf(r, 'tcp', { settings: { facility: 'local3', appName: 'tsp-x', sdId: 'ironcore@99999', utf8Bom: true } });
    expect(await sink.send([event], AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [m] = await arrived([event]);
    expect(m.pri).toBe(19 * 8 + 6);
    expect(m.appName).toBe('tsp-x');
    expect(m.structuredData.startsWith('[ironcore@99999 ')).toBe(true);
    expect(m.msg.startsWith('\ufeff{')).toBe(true);
  });

  it('reconnects after rsyslogd restarts, on the same persistent-connection sink', async () => {
    const sink = sinkOf(r, 'tcp');
    const first = conformanceEvents(2);
    expect(await sink.send(first, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    await arrived(first);
    await r.restart();
    const second = conformanceEvents(2);
    expect(await sink.send(second, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    expect((await arrived(second)).map(deliveredOf).map(rayId).sort()).toEqual(second.map((e) => e.record.iclFields.tspRayId).sort());
  });

  it('a stopped rsyslogd is a retry naming ECONNREFUSED; the same sink delivers once it is back', async () => {
    const sink = sinkOf(r, 'tls');
    await r.stop();
    try {
      expect(await sink.send(conformanceEvents(1), AbortSignal.timeout(5000))).toEqual({ kind: 'retry', reason: 'syslog unreachable (ECONNREFUSED)' });
    } finally {
      await r.restart();
    }
    const events = conformanceEvents(1);
    expect(await sink.send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    await arrived(events);
  });

  it('an event larger than maxMessageBytes is rejected: partial in a batch, reject when alone', async () => {
    const events = conformanceEvents(3);
    const big = withRecord(events[1], (rec) => ({ ...rec, customFields: { big: 'x'.repeat(2000) } }));
    const sink = sinkOf(r, 'tcp', { settings: { maxMessageBytes: 1500 } });
    const outcome = await sink.send([events[0], big, events[2]], AbortSignal.timeout(5000));
    expect(outcome).toEqual({ kind: 'partial', failed: [{ index: 1, retry: false, reason: expect.stringMatching(/^syslog message of \d+ bytes exceeds maxMessageBytes$/) }] });
    const got = await arrived([events[0], events[2]]);
    expect(got).toHaveLength(2);
    expect((await r.received()).some((m) => m.msg.includes(big.record.iclFields.tspRayId))).toBe(false);
    expect(await sink.send([big], AbortSignal.timeout(5000))).toMatchObject({ kind: 'reject' });
  });

  it('a message at rsyslogd 64 KiB limit arrives whole', async () => {
    const base = conformanceEvents(1)[0];
    const pad = 60 * 1024;
    const event = withRecord(base, (rec) => ({ ...rec, customFields: { big: '\u00e9'.repeat(pad / 2) } }));
    expect(await sinkOf(r, 'tcp').send([event], AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    const [m] = await arrived([event]);
    expect(deliveredOf(m)).toEqual(JSON.parse(event.json));
  });

  it('mTLS: a client certificate the server does not trust is retry with auth, and nothing arrives', async () => {
    const events = conformanceEvents(1);
    const c = r.certificates;
    const outcome = await sinkOf(r, 'mtls', { rogue: true }).send(events, AbortSignal.timeout(5000));
    expect(outcome).toMatchObject({ kind: 'retry', auth: true });
    expect(JSON.stringify(outcome)).not.toContain(c.rogueClientKey.split('\n')[1]);
    const noCert = await sinkOf(r, 'mtls', { credentials: {} }).send(events, AbortSignal.timeout(5000));
    expect(noCert).toMatchObject({ kind: 'retry', auth: true });
    await new Promise((res) => setTimeout(res, 300));
    expect((await r.received()).some((m) => m.msg.includes(events[0].record.iclFields.tspRayId))).toBe(false);
  });

  it('an unusable client key is retry with auth and the key never appears in the outcome', async () => {
    const c = r.certificates;
    const broken = c.clientKey.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA');
    const outcome = await sinkOf(r, 'mtls', { credentials: { clientCertificate: c.clientCert, clientKey: broken } }).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(outcome).toMatchObject({ kind: 'retry', auth: true });
    for (const line of broken.split('\n').filter((l) => l.length > 8 && !l.startsWith('-----'))) expect(JSON.stringify(outcome)).not.toContain(line);
  });

  it('TLS: a server certificate not issued by caCertificate, or not matching serverName, is a retry without auth', async () => {
    const untrusted = await sinkOf(r, 'tls', { settings: { caCertificate: r.certificates.rogueClientCert } }).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(untrusted).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^syslog server certificate not trusted \(/) });
    expect(untrusted).not.toHaveProperty('auth');
    const wrongName = await sinkOf(r, 'tls', { settings: { serverName: 'syslog.example.invalid' } }).send(conformanceEvents(1), AbortSignal.timeout(5000));
    expect(wrongName).toEqual({ kind: 'retry', reason: 'syslog server certificate not trusted (ERR_TLS_CERT_ALTNAME_INVALID)' });
    const events = conformanceEvents(1);
    expect(await sinkOf(r, 'tls', { settings: { serverName: 'localhost' } }).send(events, AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
    await arrived(events);
  });
});

describe('syslog sink wire format and hanging peers (loopback servers)', () => {
  it('frames each message with its octet count (RFC 6587) and keeps one connection for several sends', async () => {
    const server = await silentServer(true);
    const sink = syslogSinkPlugin.create({ id: 's', type: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: server.port, hostname: 'h' } }, host);
    try {
      const events = conformanceEvents(2);
      expect(await sink.send(events.slice(0, 1), AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
      expect(await sink.send(events.slice(1), AbortSignal.timeout(5000))).toEqual({ kind: 'delivered' });
      const until = Date.now() + 3000;
      const expected = events.map((e) => {
        const ts = new Date(e.record.timestampMillis).toISOString();
        const i = e.record.iclFields;
        const msg = Buffer.from(`<86>1 ${ts} h tenant-security - ${i.event} [tsp@32473 tenantId="conformance-tenant" tspRayId="${i.tspRayId}" logdriverRayId="${i.logdriverRayId}"] ${e.json}`);
        return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
      });
      const want = Buffer.concat(expected);
      while (server.data().length < want.length && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      expect(server.data().equals(want)).toBe(true);
    } finally {
      await sink.close();
      await server.stop();
    }
  });

  it('a TCP peer that never reads: a batch that cannot be flushed is abandoned at the abort, as retry', async () => {
    const server = await silentServer(false);
    const sink = syslogSinkPlugin.create({ id: 's', type: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: server.port } }, host);
    try {
      // ~40 MiB: more than loopback socket buffers hold.
      const base = conformanceEvents(1)[0];
      const big = withRecord(base, (rec) => ({ ...rec, customFields: { big: 'y'.repeat(60_000) } }));
      const batch = Array.from({ length: 700 }, () => big);
      const started = Date.now();
      expect(await sink.send(batch, AbortSignal.timeout(500))).toEqual({ kind: 'retry', reason: 'syslog send aborted (deadline)' });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await sink.close();
      await server.stop();
    }
  });
});
