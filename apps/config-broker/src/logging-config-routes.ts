import type { FastifyInstance } from 'fastify';
import type { LoggingConfig } from '@tsp/config-crypto';
import type { BrokerRepository } from '@tsp/broker-store';
import { loggingConfigBody, tenantIdParams } from './api-schemas';
import { BrokerError } from './broker-error';
import { changeContext, ownTenantOnly } from './principal';
import { tenantNotFound } from './tenant-routes';
import { loggingConfigView } from './views';

/**
 * A tenant's logging config: PUT (replace), GET (sink credentials left out), DELETE. The body is
 * the config document's own `logging` shape; each sink's settings are checked by the logdriver's
 * plug-in when the tenant's part arrives there.
 */
export function registerLoggingConfigRoutes(app: FastifyInstance, repo: BrokerRepository): void {
  app.put<{ Params: { id: string }; Body: LoggingConfig }>(
    '/tenants/:id/logging-config',
    { onRequest: ownTenantOnly, schema: { params: tenantIdParams, body: loggingConfigBody } },
    async (req) => {
      const seen = new Set<string>();
      for (const [i, s] of req.body.sinks.entries()) {
        if (seen.has(s.id)) throw new BrokerError('invalid-request', `sinks.${i}.id appears twice: sink ids must be unique within the tenant`);
        seen.add(s.id);
      }
      if ((await repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
      return loggingConfigView(await repo.putLoggingConfig(req.params.id, req.body, changeContext(req)));
    },
  );

  app.get<{ Params: { id: string } }>('/tenants/:id/logging-config', { onRequest: ownTenantOnly, schema: { params: tenantIdParams } }, async (req) => {
    if ((await repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
    const l = await repo.getLoggingConfig(req.params.id);
    if (l === undefined) throw new BrokerError('not-found', `tenant '${req.params.id}' has no logging config`);
    return loggingConfigView(l);
  });

  app.delete<{ Params: { id: string } }>('/tenants/:id/logging-config', { onRequest: ownTenantOnly, schema: { params: tenantIdParams } }, async (req, reply) => {
    if ((await repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
    if ((await repo.getLoggingConfig(req.params.id)) === undefined) throw new BrokerError('not-found', `tenant '${req.params.id}' has no logging config`);
    const leasing = (await repo.listKmsConfigs(req.params.id)).filter((c) => c.leasingAllowed).map((c) => c.id);
    if (leasing.length > 0) {
      throw new BrokerError('conflict', `leasingAllowed is set on KMS config ${leasing.join(', ')}: turn it off before deleting the logging config`);
    }
    await repo.deleteLoggingConfig(req.params.id, changeContext(req));
    return reply.code(204).send();
  });
}
