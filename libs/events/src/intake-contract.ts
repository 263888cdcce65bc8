import type { SecurityEventRecord } from './security-event';

/**
 * THE LOGDRIVER INTAKE CONTRACT: what the proxy's channel (HttpEventChannel) sends and the
 * logdriver's intake route accepts. Both sides import it from here, so they cannot drift.
 *
 *   POST /v1/events            Content-Type: application/json, body at most 8 MiB
 *                              (TSP_LOGDRIVER_MAX_BODY_BYTES)
 *   {"events": [                                  1..1000 events
 *     {"eventId": "...",                          string 1..200, unique per event; a re-sent
 *                                                 event keeps its id (the proxy retries)
 *      "category": "kms" | "application",
 *      "tenantId": "...",                         string 1..512
 *      "timestampMillis": 1700000000000,          integer 0 to 8.64e15 (the Date range)
 *      "iclFields": {"event": "...", "requestingId": "...", "tspRayId": "...",
 *                    "dataLabel"?, "sourceIp"?, "objectId"?, "requestId"?: strings},
 *      "customFields": {"name": "value", ...},    string values only
 *      "kms"?: {...}}                             object (KmsEventDetail), kms events only
 *   ]}
 *
 * Answers:
 *   200 {"accepted": n, "duplicates": m}   the whole batch is committed to the disk spool (one
 *        SQLite transaction, synchronous = FULL) BEFORE this answer: acknowledged means durable.
 *        n = events newly stored, m = events whose eventId was already in the spool (ignored);
 *        n + m + r = the number of events sent. Re-sending an acknowledged batch is harmless.
 *   200 {..., "refused": r, "refusedEventIds": [...]}   when a tenant is over its spool quota:
 *        its events in the batch were NOT stored (the rest was); the sender drops and counts
 *        them (in strict audit mode their requests fail with 301).
 *   400 {"code": 102, "message": "Invalid request body: events.3.tenantId is required"}
 *        the batch is malformed (the message names the first bad field, never its value);
 *        NOTHING of it is stored. Do not retry it unchanged.
 *   413 {"code": 102, ...} body larger than the limit (the proxy sends the halves; one event
 *        alone too large is dropped);  415 not JSON.  Do not retry unchanged.
 *   503 {"code": 100, ...} the logdriver is shutting down or starting: retry later.
 *   500 {"code": 100, ...} the spool could not commit (disk full...): nothing stored, retry later.
 *
 * No field is coerced (coerceTypes off), unknown properties are rejected (except inside
 * customFields and kms), null is not accepted for optional fields: leave them out.
 */
/** An event on the wire: the proxy's record plus its unique id (the tspRayId). */
export interface WireEvent extends SecurityEventRecord {
  eventId: string;
}

export function toWireEvent(e: SecurityEventRecord): WireEvent {
  return { eventId: e.iclFields.tspRayId, ...e };
}

export const MAX_EVENTS_PER_BATCH = 1000;
const optionalString = { type: 'string' } as const;

export const INTAKE_BODY_SCHEMA = {
  type: 'object',
  required: ['events'],
  additionalProperties: false,
  properties: {
    events: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EVENTS_PER_BATCH,
      items: {
        type: 'object',
        required: ['eventId', 'category', 'tenantId', 'timestampMillis', 'iclFields', 'customFields'],
        additionalProperties: false,
        properties: {
          eventId: { type: 'string', minLength: 1, maxLength: 200 },
          category: { type: 'string', enum: ['kms', 'application'] },
          tenantId: { type: 'string', minLength: 1, maxLength: 512 },
          timestampMillis: { type: 'integer', minimum: 0, maximum: 8640000000000000 },
          iclFields: {
            type: 'object',
            required: ['event', 'requestingId', 'tspRayId'],
            additionalProperties: false,
            properties: {
              event: { type: 'string' },
              requestingId: { type: 'string' },
              tspRayId: { type: 'string' },
              dataLabel: optionalString,
              sourceIp: optionalString,
              objectId: optionalString,
              requestId: optionalString,
            },
          },
          customFields: { type: 'object', additionalProperties: { type: 'string' } },
          kms: { type: 'object' },
        },
      },
    },
  },
} as const;
