import type { FastifyInstance } from 'fastify';
import { BrokerError } from '../broker-error';

/** A submitted form: field name → value (the first one when a name repeats). */
export type FormFields = Readonly<Record<string, string>>;

/** Largest form the admin page accepts (a KMS config's credentials JSON fits many times over). */
export const MAX_FORM_BYTES = 256 * 1024;
const MAX_FIELDS = 200;

/** Parses application/x-www-form-urlencoded text; throws on too many fields. */
export function parseForm(body: string): FormFields {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let n = 0;
  for (const [k, v] of new URLSearchParams(body)) {
    if (++n > MAX_FIELDS) throw new BrokerError('too-large', `the form has more than ${MAX_FIELDS} fields`);
    if (!(k in out)) out[k] = v;
  }
  return out;
}

/**
 * Makes forms the only body `scope` (the admin page plugin) accepts: JSON and text bodies are
 * refused there (415), and the JSON API keeps accepting nothing but application/json. Bodies
 * above MAX_FORM_BYTES are refused (413).
 */
export function registerFormParser(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

/** The form of a request (an empty one when the body was not a form). */
export function formOf(body: unknown): FormFields {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as FormFields) : {};
}
