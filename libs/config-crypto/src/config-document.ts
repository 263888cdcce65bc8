import { createHash, KeyObject, sign, verify } from 'node:crypto';
import { keyId, publicKeyOf } from './keys';
import { Opener, SealedPart, Sealer, SealingHeader } from './seal';
import { TenantConfig, validateTenantConfig } from './tenant-config';

/**
 * The signed config document a broker serves to one service account (docs/config-document.md).
 * The envelope signs the exact payload bytes (no canonicalisation needed):
 *   signature = Ed25519(brokerKey, "tsp-config-document/v1\n" || payloadBytes)
 */
export const DOCUMENT_FORMAT = 'tsp-config-document';
export const DOCUMENT_VERSION = 1;
const SIGNING_CONTEXT = Buffer.from('tsp-config-document/v1\n', 'utf8');

export interface DocumentEnvelope {
  format: typeof DOCUMENT_FORMAT;
  version: typeof DOCUMENT_VERSION;
  signingKeyId: string;
  /** base64 of the UTF-8 JSON DocumentPayload */
  payload: string;
  /** base64 Ed25519 signature */
  signature: string;
}

export interface DocumentPayload {
  version: typeof DOCUMENT_VERSION;
  serviceAccountId: string;
  /** Increases with every change the broker makes; a proxy never goes back to a lower one. */
  sequence: number;
  issuedAt: string;
  sealing: SealingHeader;
  tenants: Record<string, SealedPart>;
}

export interface BuildDocumentInput {
  serviceAccountId: string;
  serviceAccountPublicKey: KeyObject;
  brokerSigningKey: KeyObject;
  sequence: number;
  tenants: readonly TenantConfig[];
  issuedAt?: Date;
}

/** Seals every tenant for the service account and signs the result. */
export function buildConfigDocument(input: BuildDocumentInput): DocumentEnvelope {
  const sealer = new Sealer(input.serviceAccountPublicKey, input.serviceAccountId);
  const tenants: Record<string, SealedPart> = {};
  for (const t of input.tenants) {
    if (Object.prototype.hasOwnProperty.call(tenants, t.tenantId)) throw new Error(`tenant ${t.tenantId} appears twice`);
    tenants[t.tenantId] = sealer.seal(t.tenantId, Buffer.from(JSON.stringify(t), 'utf8'));
  }
  const payload: DocumentPayload = {
    version: DOCUMENT_VERSION,
    serviceAccountId: input.serviceAccountId,
    sequence: input.sequence,
    issuedAt: (input.issuedAt ?? new Date()).toISOString(),
    sealing: sealer.header,
    tenants,
  };
  const payloadBytes = Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    format: DOCUMENT_FORMAT,
    version: DOCUMENT_VERSION,
    signingKeyId: keyId(publicKeyOf(input.brokerSigningKey)),
    payload: payloadBytes.toString('base64'),
    signature: sign(null, Buffer.concat([SIGNING_CONTEXT, payloadBytes]), input.brokerSigningKey).toString('base64'),
  };
}

export class DocumentError extends Error {
  override name = 'DocumentError';
}

/**
 * Parses and verifies an envelope. Preconditions, each a DocumentError naming what failed:
 * the text is JSON of the envelope shape; the signature verifies with the broker key;
 * the payload is for `serviceAccountId`.
 */
export function verifyConfigDocument(text: string, brokerPublicKey: KeyObject, serviceAccountId: string): DocumentPayload {
  let env: Partial<DocumentEnvelope>;
  try {
    env = JSON.parse(text) as Partial<DocumentEnvelope>;
  } catch {
    throw new DocumentError('config document is not valid JSON');
  }
  if (env === null || typeof env !== 'object' || env.format !== DOCUMENT_FORMAT) {
    throw new DocumentError(`config document format must be '${DOCUMENT_FORMAT}'`);
  }
  if (env.version !== DOCUMENT_VERSION) throw new DocumentError(`config document version ${String(env.version)} is not supported`);
  if (typeof env.payload !== 'string' || typeof env.signature !== 'string') {
    throw new DocumentError('config document lacks payload or signature');
  }
  const payloadBytes = Buffer.from(env.payload, 'base64');
  const signature = Buffer.from(env.signature, 'base64');
  let ok = false;
  try {
    ok = verify(null, Buffer.concat([SIGNING_CONTEXT, payloadBytes]), brokerPublicKey, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new DocumentError('config document signature does not verify with the broker public key');
  let payload: DocumentPayload;
  try {
    payload = JSON.parse(payloadBytes.toString('utf8')) as DocumentPayload;
  } catch {
    throw new DocumentError('config document payload is not valid JSON');
  }
  if (payload.version !== DOCUMENT_VERSION) throw new DocumentError('config document payload version is not supported');
  if (payload.serviceAccountId !== serviceAccountId) {
    throw new DocumentError(`config document is for service account '${String(payload.serviceAccountId)}', not '${serviceAccountId}'`);
  }
  if (!Number.isSafeInteger(payload.sequence) || payload.tenants === null || typeof payload.tenants !== 'object') {
    throw new DocumentError('config document payload lacks sequence or tenants');
  }
  return payload;
}

export type OpenedTenant =
  | { tenantId: string; ok: true; config: TenantConfig; fingerprint: string }
  | { tenantId: string; ok: false; problems: string[] };

/**
 * Opens and validates every tenant of a verified payload. One tenant that fails to open or
 * validate is reported as such and affects no other tenant.
 */
export function openTenants(
  payload: DocumentPayload,
  privateKey: KeyObject,
): OpenedTenant[] {
  const opener = new Opener(payload.sealing, privateKey, publicKeyOf(privateKey), payload.serviceAccountId);
  const out: OpenedTenant[] = [];
  for (const [tenantId, part] of Object.entries(payload.tenants)) {
    let plaintext: Buffer;
    try {
      plaintext = opener.open(tenantId, part);
    } catch (e) {
      out.push({ tenantId, ok: false, problems: [(e as Error).message] });
      continue;
    }
    let value: unknown;
    const fingerprint = createHash('sha256').update(plaintext).digest('base64');
    try {
      value = JSON.parse(plaintext.toString('utf8'));
    } catch {
      out.push({ tenantId, ok: false, problems: ['sealed config is not valid JSON'] });
      continue;
    } finally {
      plaintext.fill(0);
    }
    const problems = validateTenantConfig(value, tenantId);
    if (problems.length > 0) {
      out.push({ tenantId, ok: false, problems });
      continue;
    }
    out.push({ tenantId, ok: true, config: value as TenantConfig, fingerprint });
  }
  return out;
}
