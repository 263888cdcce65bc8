import { createHash, createHmac } from 'node:crypto';
import type { SinkEvent } from '@tsp/sinks-core';

/** Header names of the webhook contract (docs/sinks/webhook.md). */
export const DELIVERY_ID_HEADER = 'X-TSP-Delivery-Id';
export const SIGNATURE_HEADER = 'X-TSP-Signature';

/**
 * The stable id of a batch: hex SHA-256 of the events' logdriverRayIds (tspRayId when one has
 * none), each followed by "\n", in batch order. The same events resent give the same id, so a
 * receiver can drop a batch it already stored.
 */
export function deliveryIdOf(batch: readonly SinkEvent[]): string {
  const h = createHash('sha256');
  for (const e of batch) h.update(`${e.record.iclFields.logdriverRayId ?? e.record.iclFields.tspRayId}\n`, 'utf8');
  return h.digest('hex');
}

/** The request body of a batch: `{"events":[<delivered object>,...]}` built from the ready JSON lines. */
export function webhookBody(batch: readonly SinkEvent[]): string {
  let body = '{"events":[';
  for (let i = 0; i < batch.length; i++) body += (i === 0 ? '' : ',') + (batch[i] as SinkEvent).json;
  return `${body}]}`;
}

/**
 * X-TSP-Signature for a body sent at `unixSeconds`:
 * `t=<unixSeconds>,v1=<hex HMAC-SHA256(secret, "<unixSeconds>.<body>")>` (secret and body as UTF-8).
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`, 'utf8').update(body, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
