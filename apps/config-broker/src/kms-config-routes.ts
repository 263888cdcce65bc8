import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BrokerRepository, KmsConfigPatch, NewKmsConfig } from '@tsp/broker-store';
import { kmsConfigIdParams, kmsConfigPatchBody, newKmsConfigBody, tenantIdParams } from './api-schemas';
import { BrokerError } from './broker-error';
import { changeContext, ownResourceOnly, ownTenantOnly, principalOf } from './principal';
import { tenantNotFound } from './tenant-routes';
import { kmsConfigView } from './views';

type KmsBody = Omit<NewKmsConfig, 'tenantId'>;
type KmsPatchBody = KmsConfigPatch & { keyPath?: unknown; type?: unknown };

const MAX_KMS_CONFIG_ID = 2147483647;

/**
 * KMS configs: POST/GET /tenants/{id}/kms-configs, GET/PATCH/DELETE /kms-configs/{id}.
 * Credentials are write-only (answers carry `hasCredentials`); keyPath and type are immutable;
 * leasing is allowed only for a tenant with a logging config (its leased wraps are then audited
 * through the tenant's own sinks); a primary config must be active. A tenant admin manages its own
 * tenant's configs only (another tenant's: 403 by tenant id, 404 by config id, as if absent).
 */
export function registerKmsConfigRoutes(app: FastifyInstance, repo: BrokerRepository): void {
  const ownConfigOnly = ownResourceOnly(new RegExp(kmsConfigIdParams.properties.id.pattern), async (id) => (await repo.getKmsConfig(kmsId(id)))?.tenantId, kmsNotFound);
  app.post<{ Params: { id: string }; Body: KmsBody }>(
    '/tenants/:id/kms-configs',
    { onRequest: ownTenantOnly, schema: { params: tenantIdParams, body: newKmsConfigBody } },
    async (req, reply) => {
      const tenantId = req.params.id;
      vendorOnlyFields(req, req.body, ['id', 'endpoint']);
      checkCredentialsSize(req.body.credentials);
      if ((await repo.getTenant(tenantId)) === undefined) throw tenantNotFound(tenantId);
      if ((await repo.listKmsConfigs(tenantId)).length >= MAX_KMS_CONFIGS_PER_TENANT) {
        throw new BrokerError('conflict', `the tenant has ${MAX_KMS_CONFIGS_PER_TENANT} KMS configs, the most it may have; delete one first`);
      }
      if (req.body.primary === true && req.body.active === false) throw new BrokerError('invalid-request', 'primary requires active: a primary KMS config must be active');
      if (req.body.leasingAllowed === true) await assertLeasingPossible(repo, tenantId);
      return reply.code(201).send(kmsConfigView(await repo.createKmsConfig({ ...req.body, tenantId }, changeContext(req))));
    },
  );

  app.get<{ Params: { id: string } }>('/tenants/:id/kms-configs', { onRequest: ownTenantOnly, schema: { params: tenantIdParams } }, async (req) => {
    if ((await repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
    return { kmsConfigs: (await repo.listKmsConfigs(req.params.id)).map(kmsConfigView) };
  });

  app.get<{ Params: { id: string } }>('/kms-configs/:id', { onRequest: ownConfigOnly, schema: { params: kmsConfigIdParams } }, async (req) => {
    const c = await repo.getKmsConfig(kmsId(req.params.id));
    if (c === undefined) throw kmsNotFound(req.params.id);
    return kmsConfigView(c);
  });

  app.patch<{ Params: { id: string }; Body: KmsPatchBody }>(
    '/kms-configs/:id',
    { onRequest: ownConfigOnly, schema: { params: kmsConfigIdParams, body: kmsConfigPatchBody } },
    async (req) => {
      for (const field of ['keyPath', 'type'] as const) {
        if (field in req.body) throw new BrokerError('invalid-request', `${field} is immutable after creation; create a new KMS config instead`);
      }
      vendorOnlyFields(req, req.body, ['endpoint']);
      if (req.body.credentials !== undefined) checkCredentialsSize(req.body.credentials);
      const id = kmsId(req.params.id);
      const current = await repo.getKmsConfig(id);
      if (current === undefined) throw kmsNotFound(req.params.id);
      const active = req.body.active ?? current.active;
      const primary = req.body.primary ?? current.primary;
      if (primary && !active) {
        throw new BrokerError('invalid-request', req.body.active === false ? 'active cannot be false on a primary KMS config; make another config primary first' : 'primary requires active: a primary KMS config must be active');
      }
      if (req.body.leasingAllowed === true) await assertLeasingPossible(repo, current.tenantId);
      const { keyPath: _k, type: _t, ...patch } = req.body;
      return kmsConfigView(await repo.updateKmsConfig(id, patch, changeContext(req)));
    },
  );

  app.delete<{ Params: { id: string } }>('/kms-configs/:id', { onRequest: ownConfigOnly, schema: { params: kmsConfigIdParams } }, async (req, reply) => {
    const id = kmsId(req.params.id);
    if ((await repo.getKmsConfig(id)) === undefined) throw kmsNotFound(req.params.id);
    await repo.deleteKmsConfig(id, changeContext(req));
    return reply.code(204).send();
  });
}

/** Most KMS configs per tenant (every one is in every document that serves the tenant). */
export const MAX_KMS_CONFIGS_PER_TENANT = 100;
const MAX_CREDENTIALS_BYTES = 65536;

/**
 * Fields only the vendor admin may set: `id` (ids go into EDEKs) and `endpoint` (proxies inside
 * the vendor's network call it: a tenant admin could point it at internal addresses).
 */
function vendorOnlyFields(req: FastifyRequest, body: object, fields: readonly string[]): void {
  if (principalOf(req).kind === 'vendor-admin') return;
  for (const f of fields) if (f in body) throw new BrokerError('forbidden', `${f}: only the vendor admin may set it`);
}

function checkCredentialsSize(credentials: Record<string, unknown>): void {
  if (Buffer.byteLength(JSON.stringify(credentials), 'utf8') > MAX_CREDENTIALS_BYTES) throw new BrokerError('invalid-request', 'credentials: larger than 64 KiB as JSON');
}

async function assertLeasingPossible(repo: BrokerRepository, tenantId: string): Promise<void> {
  if ((await repo.getLoggingConfig(tenantId)) === undefined) {
    throw new BrokerError('invalid-request', 'leasingAllowed requires the tenant to have a logging config (PUT /tenants/{id}/logging-config first)');
  }
}

/** The id parameter (pattern-checked digits); an id above int32 cannot exist: 0 (never found). */
function kmsId(raw: string): number {
  const n = Number(raw);
  return n > MAX_KMS_CONFIG_ID ? 0 : n;
}

function kmsNotFound(id: string): BrokerError {
  return new BrokerError('not-found', `KMS config ${id} does not exist`);
}
