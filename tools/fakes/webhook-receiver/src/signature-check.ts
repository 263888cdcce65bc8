import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The receiver side of X-TSP-Signature (docs/sinks/webhook.md), written independently of the
 * sink's signer so the fake really checks it: parse `t=<seconds>,v1=<hex>[,v1=<hex>...]`,
 * refuse a timestamp further than `toleranceSeconds` from now (replay), and compare
 * HMAC-SHA256(secret, "<t>.<raw body>") with each v1 in constant time, for each accepted secret
 * (several during a rotation).
 */
export type SignatureCheck = { ok: true } | { ok: false; error: string };

export function checkSignature(
  header: string | undefined,
  rawBody: Buffer,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds: number,
): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, error: 'missing X-TSP-Signature' };
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) candidates.push(Buffer.from(v, 'hex'));
  }
  if (t === undefined || !/^\d{1,12}$/.test(t)) return { ok: false, error: 'malformed X-TSP-Signature' };
  if (candidates.length === 0) return { ok: false, error: 'no v1 signature' };
  if (Math.abs(nowSeconds - Number(t)) > toleranceSeconds) return { ok: false, error: 'signature timestamp outside the tolerance' };
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(`${t}.`, 'utf8')).update(rawBody).digest();
    // Every candidate is compared (no early exit on the first byte that differs).
    for (const c of candidates) if (c.length === expected.length && timingSafeEqual(c, expected)) return { ok: true };
  }
  return { ok: false, error: 'signature mismatch' };
}
