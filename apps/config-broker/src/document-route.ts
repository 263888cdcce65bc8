import { createHash, KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { BrokerRepository, ServiceAccount, TenantForDocument } from '@tsp/broker-store';
import { buildConfigDocument, decodePublicKey, keyId, publicKeyOf, TenantConfig, validateTenantConfig } from '@tsp/config-crypto';
import type { Logger } from '@tsp/observability';
import { BrokerError } from './broker-error';
import { DocumentCache } from './document-cache';
import type { DocumentWaiters } from './document-waiters';
import { SaRequestAuthenticator } from './sa-request-auth';
import { CONFIG_DOCUMENT_PATH } from './service-account-routes';

export interface DocumentRouteDeps {
  repo: BrokerRepository;
  brokerSigningKey: KeyObject;
  auth: SaRequestAuthenticator;
  /** Path prefix of the public URL ('' at the root): what proxies sign comes before req.url. */
  publicPathPrefix: string;
  logger: Logger;
  /** Where long-polling requests (`?wait=`) park until the sequence changes. */
  waiters: DocumentWaiters;
  /** Most bytes of built documents kept for reuse (default 256 MiB; 0: none): see DocumentCache. */
  documentCacheBytes?: number;
  /** A kept document nobody asked for this long is dropped, ms (default 10 minutes). */
  documentCacheIdleMs?: number;
}

/** Longest `wait` a request may ask for, seconds. */
export const MAX_WAIT_SECONDS = 60;

/**
 * GET /api/v1/config-document for service accounts (TSP-SA signed requests): the signed document
 * with the tenants the account serves, each sealed for it. ETag = hash(account, sequence, broker
 * key id); a matching If-None-Match answers 304 after reading only the sequence. Plaintext tenant
 * configs never leave this function except sealed.
 *
 * Long poll: with `?wait=<1..60>` and an If-None-Match equal to the current ETag, the request
 * waits (in `deps.waiters`) until the sequence changes (→ 200, the new document) or `wait`
 * seconds pass, the broker closes or the client leaves (→ 304).
 *
 * The document built for an (account, sequence) is kept (DocumentCache): the proxies a change
 * wakes all ask for it at once, and one build (one tenant scan, one sealing) serves them.
 */
export function registerDocumentRoute(app: FastifyInstance, deps: DocumentRouteDeps): void {
  const brokerKeyId = keyId(publicKeyOf(deps.brokerSigningKey));
  const cache = new DocumentCache({ maxBytes: deps.documentCacheBytes ?? 256 * 1048576, maxIdleMs: deps.documentCacheIdleMs ?? 600_000 });
  app.addHook('onClose', async () => cache.clear());

  /** Reads the account's tenants, seals each for it, signs: the bytes of the 200. */
  const build = async (sa: ServiceAccount, sequence: number): Promise<Buffer> => {
    const started = process.hrtime.bigint();
    const rows = await deps.repo.tenantsForDocument(sa.id);
    const tenants = rows.map(tenantConfigOf);
    for (const t of tenants) {
      const problems = validateTenantConfig(t, t.tenantId);
      // Served anyway: the proxy marks only this tenant unavailable and reports it.
      if (problems.length > 0) deps.logger.warn('tenant config fails validation; proxies will refuse it', { serviceAccountId: sa.id, tenantId: t.tenantId, problems });
    }
    const envelope = buildConfigDocument({
      serviceAccountId: sa.id,
      serviceAccountPublicKey: decodePublicKey(sa.encryptionPublicKey, 'x25519', 'encryptionPublicKey'),
      brokerSigningKey: deps.brokerSigningKey,
      sequence,
      tenants,
    });
    const body = Buffer.from(JSON.stringify(envelope), 'utf8');
    const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    deps.logger.debug('config document built', { serviceAccountId: sa.id, sequence, tenants: tenants.length, bytes: body.length, ms });
    return body;
  };

  app.get(CONFIG_DOCUMENT_PATH, async (req, reply) => {
    const waitSeconds = parseWait((req.query as Record<string, unknown>)['wait']);
    const sa = await deps.auth.authenticate('GET', deps.publicPathPrefix + req.url, req.headers.authorization);
    let sequence = await deps.repo.sequence();
    let etag = documentEtag(sa.id, sequence, brokerKeyId);
    reply.header('cache-control', 'no-cache').header('etag', etag);
    if (etagMatches(req.headers['if-none-match'], etag)) {
      if (waitSeconds === undefined) return reply.code(304).send();
      const outcome = await deps.waiters.wait(sequence, waitSeconds * 1000, (leave) => {
        if (req.raw.socket?.destroyed === true) leave();
        else reply.raw.once('close', leave);
      });
      if (outcome !== 'changed') return reply.code(304).send();
      // The account may have been revoked while it waited.
      const current = await deps.repo.getServiceAccount(sa.id);
      if (current === undefined || current.revokedAt !== undefined) throw new BrokerError('forbidden', 'the service account is revoked');
      sequence = await deps.repo.sequence();
      etag = documentEtag(sa.id, sequence, brokerKeyId);
      reply.header('etag', etag);
    }

    const at = sequence;
    const body = await cache.get(sa.id, at, sa.encryptionPublicKey, () => build(sa, at));
    deps.logger.debug('config document served', { serviceAccountId: sa.id, sequence, bytes: body.length });
    return reply.code(200).type('application/json').send(body);
  });
}

/** `wait` query value → seconds, or undefined when absent; anything but one integer 1..60 is a 400. */
export function parseWait(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[1-9][0-9]?$/.test(raw) || Number(raw) > MAX_WAIT_SECONDS) {
    throw new BrokerError('invalid-request', `wait must be one integer from 1 to ${MAX_WAIT_SECONDS} (seconds)`);
  }
  return Number(raw);
}

/** A strong ETag; it changes with the account, the sequence and the broker's signing key. */
export function documentEtag(serviceAccountId: string, sequence: number, brokerKeyId: string): string {
  return `"${createHash('sha256').update(`${serviceAccountId}\n${sequence}\n${brokerKeyId}`, 'utf8').digest('base64url')}"`;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === etag || v === '*';
  });
}

/** One tenant's plaintext part (docs/config-document.md, "Tenant part"). */
export function tenantConfigOf(row: TenantForDocument): TenantConfig {
  const config: TenantConfig = {
    tenantId: row.tenant.id,
    kmsConfigs: row.kmsConfigs.map((c) => ({
      id: c.id,
      type: c.type,
      active: c.active,
      primary: c.primary,
      leasing: { enabled: c.leasingAllowed, ...(c.leasingLifetimeSeconds !== undefined ? { lifetimeSeconds: c.leasingLifetimeSeconds } : {}) },
      keyPath: c.keyPath,
      credentials: c.credentials,
      ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
    })),
    secrets: row.secrets.map((s) => ({ id: s.id, secretPath: s.secretPath, secretType: s.secretType, status: s.status, encryptedSecret: s.encryptedSecret })),
  };
  if (row.logging !== undefined) config.logging = row.logging;
  return config;
}
