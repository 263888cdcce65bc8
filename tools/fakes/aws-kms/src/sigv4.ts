import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4, as the fake verifies it: canonical request, string to sign,
 * signing key derived by the HMAC chain date → region → service → "aws4_request".
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface SigV4Credential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  /** Path and query as received, e.g. "/" or "/a?b=c". */
  url: string;
  /** Lower-case names (node's IncomingMessage.headers). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH_RE = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;

export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const m = AUTH_RE.exec(header.trim());
  if (m === null) return undefined;
  const [, accessKeyId, date, region, service, signed, signature] = m as unknown as [string, string, string, string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signed.split(';'), signature };
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(path: string): string {
  // Non-S3 services: each segment encoded once more on top of the wire encoding.
  return path
    .split('/')
    .map((seg) => uriEncode(seg))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = decodeURIComponent(i < 0 ? p : p.slice(0, i));
      const v = i < 0 ? '' : decodeURIComponent(p.slice(i + 1).replace(/\+/g, '%20'));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(v: string | string[] | undefined): string {
  const joined = Array.isArray(v) ? v.join(',') : (v ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

export function canonicalRequest(req: SignableRequest, signedHeaders: readonly string[]): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const headers = signedHeaders.map((h) => `${h}:${headerValue(req.headers[h])}\n`).join('');
  return [req.method.toUpperCase(), canonicalUri(path), canonicalQuery(query), headers, signedHeaders.join(';'), sha256Hex(req.body)].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** The hex signature of a request for the given scope and signed headers. */
export function computeSignature(req: SignableRequest, secret: string, auth: Omit<ParsedAuthorization, 'signature' | 'accessKeyId'>, amzDate: string): string {
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const sts = stringToSign(amzDate, scope, canonicalRequest(req, auth.signedHeaders));
  return createHmac('sha256', signingKey(secret, auth.date, auth.region, auth.service)).update(sts, 'utf8').digest('hex');
}

export type SigV4Failure = {
  ok: false;
  error: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
  message: string;
};
export type SigV4Result = { ok: true; credential: SigV4Credential } | SigV4Failure;

export interface VerifyOptions {
  service: string;
  region: string;
  credentials: readonly SigV4Credential[];
  now?: Date;
  /** Allowed clock difference, ms (AWS: 15 minutes). */
  maxSkewMs?: number;
}

function amzDateToMs(d: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
  if (m === null) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Verifies a request's SigV4 Authorization header the way AWS does, with AWS's error names. */
export function verifySigV4(req: SignableRequest, opts: VerifyOptions): SigV4Result {
  const header = headerValue(req.headers['authorization']);
  if (header === '') return { ok: false, error: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const auth = parseAuthorization(header);
  if (auth === undefined) {
    return { ok: false, error: 'IncompleteSignatureException', message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of algorithm ${ALGORITHM}.` };
  }
  const credential = opts.credentials.find((c) => c.accessKeyId === auth.accessKeyId);
  if (credential === undefined) return { ok: false, error: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  const token = headerValue(req.headers['x-amz-security-token']);
  if ((credential.sessionToken ?? '') !== token) return { ok: false, error: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (auth.service !== opts.service) return { ok: false, error: 'InvalidSignatureException', message: `Credential should be scoped to correct service: '${opts.service}'. ` };
  if (auth.region !== opts.region) return { ok: false, error: 'InvalidSignatureException', message: 'Credential should be scoped to a valid region. ' };
  if (!auth.signedHeaders.includes('host')) return { ok: false, error: 'InvalidSignatureException', message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." };
  const amzDate = headerValue(req.headers['x-amz-date']);
  const at = amzDateToMs(amzDate);
  if (at === undefined || !auth.signedHeaders.includes('x-amz-date')) {
    return { ok: false, error: 'IncompleteSignatureException', message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header." };
  }
  if (amzDate.slice(0, 8) !== auth.date) {
    return { ok: false, error: 'InvalidSignatureException', message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.` };
  }
  const now = (opts.now ?? new Date()).getTime();
  if (Math.abs(now - at) > (opts.maxSkewMs ?? 15 * 60_000)) {
    return { ok: false, error: 'InvalidSignatureException', message: `Signature expired: ${amzDate} is now earlier or later than 15 min from the server time.` };
  }
  const expected = Buffer.from(computeSignature(req, credential.secretAccessKey, auth, amzDate), 'hex');
  const given = Buffer.from(auth.signature, 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    // Like AWS, the message shows the canonical request and string to sign (which hold the
    // signed headers, a session token among them): clients must not echo it unfiltered.
    const canonical = canonicalRequest(req, auth.signedHeaders);
    const sts = stringToSign(amzDate, `${auth.date}/${auth.region}/${auth.service}/aws4_request`, canonical);
    return {
      ok: false,
      error: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
        `\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${sts}'\n`,
    };
  }
  return { ok: true, credential };
}

/** Signs a request (for tests and scripts): returns the headers to add. */
export function signRequest(
  req: Omit<SignableRequest, 'headers'> & { headers: Record<string, string> },
  credential: SigV4Credential,
  region: string,
  service: string,
  now = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { ...Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v])), 'x-amz-date': amzDate };
  if (credential.sessionToken !== undefined) headers['x-amz-security-token'] = credential.sessionToken;
  const signedHeaders = Object.keys(headers).sort();
  const auth = { date: amzDate.slice(0, 8), region, service, signedHeaders };
  const sig = computeSignature({ ...req, headers }, credential.secretAccessKey, auth, amzDate);
  return {
    ...headers,
    authorization: `${ALGORITHM} Credential=${credential.accessKeyId}/${auth.date}/${region}/${service}/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`,
  };
}
