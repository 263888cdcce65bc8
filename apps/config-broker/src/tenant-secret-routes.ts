import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BrokerRepository, TenantSecretView } from '@tsp/broker-store';
import type { SecretStatus } from '@tsp/config-crypto';
import { tenantIdParams } from './api-schemas';
import { BrokerError } from './broker-error';
import { changeContext, mayAccessTenant, ownTenantOnly } from './principal';
import { tenantSecretIdParams } from './tenant-secret-schemas';
import { tenantNotFound } from './tenant-routes';

const MAX_SECRET_ID = 4294967295;

/** One admin action on a tenant secret: the status it needs and the one it sets. */
interface Transition {
  from: SecretStatus;
  to: SecretStatus;
  /** Why it is refused from any other status (a 409). */
  refusal: string;
}

/**
 * The rotation of a secret, step by step (the proxies pick each change up through the document):
 * rotate (current → inRotation: the next derive of its path creates a new Current secret and
 * serves this one with `current: false`), restore (inRotation → current: cancels a rotation; a
 * conflict while another Current secret exists), archive (inRotation → archived: no longer
 * served; final).
 */
export const SECRET_TRANSITIONS: Readonly<Record<'rotate' | 'restore' | 'archive', Transition>> = {
  rotate: { from: 'current', to: 'inRotation', refusal: 'only a current secret can be rotated' },
  restore: { from: 'inRotation', to: 'current', refusal: 'only a secret in rotation can be restored' },
  archive: { from: 'inRotation', to: 'archived', refusal: 'only a secret in rotation can be archived; rotate it first' },
};

/**
 * Tenant secrets for admins (under /api/v1): GET /tenants/{id}/secrets lists them with their
 * status (never their material); POST /tenant-secrets/{id}/rotate | restore | archive move them
 * through rotation. A tenant admin sees and changes its own tenant's secrets only; another
 * tenant's secret looks absent (404).
 */
export function registerTenantSecretRoutes(app: FastifyInstance, repo: BrokerRepository): void {
  app.get<{ Params: { id: string } }>('/tenants/:id/secrets', { onRequest: ownTenantOnly, schema: { params: tenantIdParams } }, async (req) => {
    if ((await repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
    return { secrets: (await repo.listTenantSecrets(req.params.id)).map(tenantSecretView) };
  });

  for (const [action, t] of Object.entries(SECRET_TRANSITIONS)) {
    app.post<{ Params: { id: string } }>(`/tenant-secrets/:id/${action}`, { schema: { params: tenantSecretIdParams } }, async (req) => {
      const current = await visibleSecret(repo, req);
      if (current.status !== t.from) {
        throw new BrokerError('conflict', `status: tenant secret ${current.id} is ${current.status}; ${t.refusal}`);
      }
      return tenantSecretView(await repo.setTenantSecretStatus(current.id, t.to, changeContext(req)));
    });
  }
}

/** The secret of the `:id` parameter, when it exists and the caller may see its tenant; else 404. */
async function visibleSecret(repo: BrokerRepository, req: FastifyRequest): Promise<TenantSecretView> {
  const raw = (req.params as { id: string }).id;
  const id = Number(raw);
  const s = id > MAX_SECRET_ID ? undefined : await repo.getTenantSecret(id);
  if (s === undefined || !mayAccessTenant(req, s.tenantId)) throw new BrokerError('not-found', `tenant secret ${raw} does not exist`);
  return s;
}

/** What admins see of a secret: never its material, whatever the store returned. */
export function tenantSecretView(s: TenantSecretView): TenantSecretView {
  return { id: s.id, tenantId: s.tenantId, secretPath: s.secretPath, secretType: s.secretType, status: s.status, createdAt: s.createdAt };
}
