import Ajv from 'ajv';
import { INTAKE_BODY_SCHEMA, MAX_EVENTS_PER_BATCH, toWireEvent } from './intake-contract';
import type { SecurityEventRecord } from './security-event';

/** What the proxy sends is what the logdriver accepts: one schema, checked from the sender's side. */
const validate = new Ajv({ coerceTypes: false, strict: false }).compile(INTAKE_BODY_SCHEMA);

const kms: SecurityEventRecord = {
  category: 'kms',
  tenantId: 't1',
  timestampMillis: 1700000000000,
  iclFields: { event: 'KMS_WRAP_KEY', requestingId: 'svc', tspRayId: 'abc-1' },
  customFields: {},
  kms: { kmsConfigId: 3, leased: true, count: 100, failures: 0 },
};
const application: SecurityEventRecord = {
  category: 'application',
  tenantId: 't2',
  timestampMillis: 0,
  iclFields: { event: 'USER_LOGIN', requestingId: 'u', tspRayId: 'abc-2', dataLabel: 'PII', sourceIp: '127.0.0.1', objectId: 'o', requestId: 'r' },
  customFields: { field1: 'v' },
};

test('the wire form of proxy events validates against the intake schema', () => {
  expect(validate({ events: [kms, application].map(toWireEvent) })).toBe(true);
  expect(toWireEvent(kms).eventId).toBe('abc-1');
});

test('the schema refuses what the logdriver must not store', () => {
  expect(validate({ events: [] })).toBe(false);
  expect(validate({ events: [{ ...toWireEvent(kms), tenantId: '' }] })).toBe(false);
  expect(validate({ events: [{ ...toWireEvent(application), customFields: { n: 1 } }] })).toBe(false);
  expect(validate({ events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => toWireEvent(kms)) })).toBe(false);
  // A timestamp past the Date range could not be written as RFC 3339: the whole batch would fail.
  expect(validate({ events: [{ ...toWireEvent(kms), timestampMillis: 8_640_000_000_000_001 }] })).toBe(false);
  expect(validate({ events: [{ ...toWireEvent(kms), timestampMillis: 8_640_000_000_000_000 }] })).toBe(true);
});
