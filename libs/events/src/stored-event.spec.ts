import { deliveredEventLine, SecurityEventRecord } from './security-event';
import { deliveredLineOfStored, recordOfDeliveredLine, storedEventText } from './stored-event';

const record = (over: Partial<SecurityEventRecord> = {}): SecurityEventRecord => ({
  category: 'kms',
  tenantId: 't "1"',
  timestampMillis: 1_780_000_000_123,
  iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'a},"customFields":{"x":"y', tspRayId: 'ray-1', requestId: 'r\u00e9' },
  customFields: { 'k},"customFields":': 'v\n"' },
  kms: { kmsConfigId: 3, leased: true },
  ...over,
});

describe('stored events', () => {
  it.each([
    ['a kms event whose strings imitate the structure', record()],
    ['an application event without kms detail', record({ category: 'application', kms: undefined })],
  ])('%s: splicing the ray id gives exactly the delivered line of the record with it', (_what, r) => {
    if (r.kms === undefined) delete r.kms;
    const spliced = deliveredLineOfStored(storedEventText(r), 'abc-42');
    const withId = { ...r, iclFields: { ...r.iclFields, logdriverRayId: 'abc-42' } };
    expect(spliced).toBe(deliveredEventLine(withId).slice(0, -1));
    expect(recordOfDeliveredLine(spliced)).toEqual(withId);
  });

  it('reads the legacy stored form (the record JSON) the same way', () => {
    const r = record();
    expect(deliveredLineOfStored(JSON.stringify(r), 'abc-7')).toBe(deliveredLineOfStored(storedEventText(r), 'abc-7'));
  });

  it('refuses text that is neither form', () => {
    expect(() => deliveredLineOfStored('{"tenantId":"t"}', 'x')).toThrow('stored event is not a delivered line');
  });
});

describe('isoTimestamp', () => {
  it('writes exactly what Date.toISOString writes, across seconds, years and edge values', () => {
    const { isoTimestamp } = jest.requireActual<typeof import('./security-event')>('./security-event');
    const values = [0, 1, 999, 1000, 1_780_000_000_000, 1_780_000_000_999, 1_780_000_001_000, 253_402_300_799_999, 253_402_300_800_000, 8_640_000_000_000_000];
    for (let i = 0; i < 5000; i++) values.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (const v of [...values, ...values.reverse()]) expect(isoTimestamp(v)).toBe(new Date(v).toISOString());
  });
});
