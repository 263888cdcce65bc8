import { PassThrough, Writable } from 'node:stream';
import type { EventChannel } from './event-queue';
import { NullEventChannel, StreamEventChannel } from './stdout-channel';
import { DeliveredEvent, SecurityEventRecord, toDeliveredEvent } from './security-event';

const appEvent: SecurityEventRecord = {
  category: 'application',
  tenantId: 't1',
  timestampMillis: Date.UTC(2026, 4, 5, 17, 44, 42, 656),
  iclFields: { event: 'USER_LOGIN', requestingId: 'u1', dataLabel: 'PII', sourceIp: '127.0.0.1', objectId: 'o1', requestId: 'r1', tspRayId: 'ray-1' },
  customFields: { field1: 'v' },
};

const kmsEvent: SecurityEventRecord = {
  category: 'kms',
  tenantId: 't2',
  timestampMillis: 0,
  iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: 'ray-2' },
  customFields: {},
  kms: { kmsConfigId: 3, leased: true },
};

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

describe('StreamEventChannel', () => {
  it('writes one JSON line per event in the delivered shape', async () => {
    const out = new PassThrough();
    const text = collect(out);
    await new StreamEventChannel(out).send([appEvent, kmsEvent]);
    const lines = text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const first = JSON.parse(lines[0]) as DeliveredEvent;
    expect(first).toEqual({
      tenantId: 't1',
      timestamp: '2026-05-05T17:44:42.656Z',
      iclFields: { event: 'USER_LOGIN', requestingId: 'u1', dataLabel: 'PII', sourceIp: '127.0.0.1', objectId: 'o1', requestId: 'r1', tspRayId: 'ray-1' },
      customFields: { field1: 'v' },
    });
    expect(Object.keys(first)).not.toContain('category');
    expect(Object.keys(first)).not.toContain('timestampMillis');
    expect(JSON.parse(lines[1])).toEqual({
      tenantId: 't2',
      timestamp: '1970-01-01T00:00:00.000Z',
      iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: 'ray-2' },
      customFields: {},
      kms: { kmsConfigId: 3, leased: true },
    });
  });

  it('the timestamp is RFC 3339 UTC with milliseconds', () => {
    const { timestamp } = toDeliveredEvent({ ...appEvent, timestampMillis: 1_700_000_000_123 });
    expect(timestamp).toBe('2023-11-14T22:13:20.123Z');
    expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('writes nothing for an empty batch', async () => {
    const out = new PassThrough();
    const text = collect(out);
    await new StreamEventChannel(out).send([]);
    expect(text()).toBe('');
  });

  it('waits for drain when the stream applies back-pressure', async () => {
    let release!: () => void;
    const written: string[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        written.push(chunk.toString('utf8'));
        release = () => cb();
      },
    });
    let done = false;
    const sending = new StreamEventChannel(slow).send([appEvent]).then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(written).toHaveLength(1);
    expect(done).toBe(false);
    release();
    await sending;
    expect(done).toBe(true);
  });
});

describe('NullEventChannel', () => {
  it('accepts and discards', async () => {
    const channel: EventChannel = new NullEventChannel();
    await expect(channel.send([appEvent])).resolves.toBeUndefined();
  });
});

test('deliveredEventLine is exactly JSON.stringify of the delivered shape', () => {
  const { deliveredEventLine, toDeliveredEvent } = jest.requireActual<typeof import('./security-event')>('./security-event');
  const records: import('./security-event').SecurityEventRecord[] = [
    { category: 'kms' as const, tenantId: 't"1\n', timestampMillis: 1700000000123, iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'r\u2028', tspRayId: 'x-1' }, customFields: { a: 'b' }, kms: { kmsConfigId: 3, leased: true } },
    { category: 'application' as const, tenantId: 't2', timestampMillis: 0, iclFields: { event: 'USER_LOGIN', requestingId: 'u', dataLabel: 'PII', tspRayId: 'x-2' }, customFields: {} },
  ];
  for (const r of records) expect(deliveredEventLine(r)).toBe(JSON.stringify(toDeliveredEvent(r)) + '\n');
});
