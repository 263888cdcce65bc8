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
