import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BrokerRepository, ServiceAccount, Tenant } from '@tsp/broker-store';
import type { TenantSecretType } from '@tsp/config-crypto';
import type { Logger } from '@tsp/observability';
import { decodeEdekBase64 } from '@tsp/tsp-protocol';
import { BrokerError } from './broker-error';
import type { DocumentWaiters } from './document-waiters';
import type { SaRequestAuthenticator } from './sa-request-auth';
import { newTenantSecretBody } from './tenant-secret-schemas';

export const TENANT_SECRETS_ROUTE = '/api/v1/tenant-secrets';

export interface TenantSecretCreateRouteDeps {
  repo: BrokerRepository;
  auth: SaRequestAuthenticator;
  /** Path prefix of the public URL ('' at the root): what proxies sign comes before req.url. */
  publicPathPrefix: string;
  /** Woken after every success, so the other proxies' long-polls fetch the secret at once. */
  waiters: DocumentWaiters;
  logger: Logger;
}

interface NewSecretBody {
  tenantId: string;
  secretPath: string;
  secretType: TenantSecretType;
  encryptedSecret: string;
}

/**
 * POST /api/v1/tenant-secrets for service accounts (a proxy's derive of a path without a Current
 * secret). TSP-SA signed over method, path, time, nonce and the SHA-256 of the RAW body bytes
 * (verified before the body is validated). Preconditions, in order: the tenant is served by the
 * account (exists, one of its tags; else 404) and not archived (else 403); `encryptedSecret`
 * parses as EncryptedDeks whose first entry's kmsConfigId is an active KMS config of that tenant
 * (else 400 naming the field). Answers 201 with the new Current secret, or 200 with the Current
 * secret that already existed (`created: false`): concurrent first requests of many proxies all
 * get the same one.
 */
export function registerTenantSecretCreateRoute(app: FastifyInstance, deps: TenantSecretCreateRouteDeps): void {
  void app.register(async (scope) => {
    // This scope keeps each request's raw JSON bytes for the signature; parsing and the schema
    // stay fastify's (same JSON errors, same prototype-poisoning refusal).
    const rawBodies = new WeakMap<FastifyRequest, Buffer>();
    const accounts = new WeakMap<FastifyRequest, ServiceAccount>();
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      const raw = body as Buffer;
      rawBodies.set(req, raw);
      parseJson(req, raw.toString('utf8'), done);
    });

    scope.post<{ Body: NewSecretBody }>(
      TENANT_SECRETS_ROUTE,
      {
        schema: { body: newTenantSecretBody },
        // Authentication first: an unsigned or forged request learns nothing about the body rules.
        preValidation: async (req) => {
          const sa = await deps.auth.authenticate('POST', deps.publicPathPrefix + req.url, req.headers.authorization, rawBodies.get(req) ?? Buffer.alloc(0));
          accounts.set(req, sa);
        },
      },
      async (req, reply) => {
        const sa = accounts.get(req);
        if (sa === undefined) throw new BrokerError('unauthorized', 'the request is not signed by a service account');
        const { tenantId, secretPath, secretType, encryptedSecret } = req.body;
        await assertServed(deps.repo, sa, tenantId);
        await assertWrappedForTenant(deps.repo, tenantId, encryptedSecret);
        const { secret, created } = await deps.repo.createTenantSecret(
          { tenantId, secretPath, secretType, encryptedSecret },
          { actor: { kind: 'service-account', id: sa.id } },
        );
        deps.waiters.notify();
        if (created) deps.logger.info('tenant secret created', { serviceAccountId: sa.id, tenantId, tenantSecretId: secret.id, secretType });
        return reply.code(created ? 201 : 200).send({
          id: secret.id,
          secretPath: secret.secretPath,
          secretType: secret.secretType,
          status: secret.status,
          encryptedSecret: secret.encryptedSecret,
          created,
        });
      },
    );
  });
}

async function assertServed(repo: BrokerRepository, sa: ServiceAccount, tenantId: string): Promise<Tenant> {
  const tenant = await repo.getTenant(tenantId);
  const tags = new Set(sa.tenantTags);
  if (tenant === undefined || (tags.size > 0 && !tenant.tags.some((t) => tags.has(t)))) {
    throw new BrokerError('not-found', `tenantId: tenant '${tenantId}' is not served by this service account`);
  }
  if (tenant.archived) throw new BrokerError('forbidden', `tenantId: tenant '${tenantId}' is archived; no secrets are created for it`);
  return tenant;
}

async function assertWrappedForTenant(repo: BrokerRepository, tenantId: string, encryptedSecret: string): Promise<void> {
  let kmsConfigId: number;
  try {
    kmsConfigId = decodeEdekBase64(encryptedSecret)[0].kmsConfigId;
  } catch {
    throw new BrokerError('invalid-request', 'encryptedSecret is not a base64 EncryptedDeks with at least one entry');
  }
  const config = await repo.getKmsConfig(kmsConfigId);
  if (config === undefined || config.tenantId !== tenantId || !config.active) {
    throw new BrokerError('invalid-request', `encryptedSecret: its first entry's kmsConfigId ${kmsConfigId} is not an active KMS config of tenant '${tenantId}'`);
  }
}
