import { createHash, KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * The message a service account signs for one request to the broker (`Authorization: TSP-SA
 * id=<id>,ts=<unix seconds>,nonce=<32 hex>,sig=<base64 Ed25519(message)>`):
 *   GET:        "GET\n" + pathAndQuery + "\n" + ts + "\n" + nonce   (unchanged since the first proxies)
 *   with body:  METHOD + "\n" + pathAndQuery + "\n" + ts + "\n" + nonce + "\n" + base64(SHA-256(raw body))
 * Every method but GET carries the body hash (an empty body hashes the empty string), so a
 * signature over one body cannot be reused with another, nor a GET signature for a POST.
 * The broker verifies with this same function.
 */
export function tspSaSignedMessage(method: string, pathAndQuery: string, ts: string, nonce: string, body?: Uint8Array): Buffer {
  const head = `${method}\n${pathAndQuery}\n${ts}\n${nonce}`;
  if (method === 'GET') return Buffer.from(head, 'utf8');
  const digest = createHash('sha256').update(body ?? new Uint8Array(0)).digest('base64');
  return Buffer.from(`${head}\n${digest}`, 'utf8');
}

/** The Authorization header of one request (a fresh nonce each call unless given). */
export function tspSaAuthorization(
  serviceAccountId: string,
  signingKey: KeyObject,
  method: string,
  pathAndQuery: string,
  body?: Uint8Array,
  ts: number = Math.floor(Date.now() / 1000),
  nonce: string = randomBytes(16).toString('hex'),
): string {
  const tsText = String(ts);
  const sig = sign(null, tspSaSignedMessage(method, pathAndQuery, tsText, nonce, body), signingKey).toString('base64');
  return `TSP-SA id=${serviceAccountId},ts=${tsText},nonce=${nonce},sig=${sig}`;
}
