import type { FastifyInstance } from 'fastify';
import { DeriveRequest, DeriveResponse, RequestSchemas, responseSchemas } from '@tsp/tsp-protocol';
import { asTspError } from '@tsp/key-service';
import type { RouteDeps } from '../app';

export function registerDeriveRoute(app: FastifyInstance, schemas: RequestSchemas, deps: RouteDeps): void {
  app.post<{ Body: DeriveRequest; Reply: DeriveResponse }>(
    '/api/1/key/derive-with-secret-path',
    { schema: { body: schemas.derive, response: { 200: responseSchemas.derive } }, config: { metricsRoute: 'derive' } },
    async (req, reply) => {
      const body = req.body;
      const count = Object.values(body.paths).reduce((n, p) => n + p.length, 0);
      let r: DeriveResponse;
      try {
        r = await deps.derive.derive(body.tenantId, body.paths, body.derivationType, body.secretType);
      } catch (e) {
        const err = asTspError(e, 100);
        deps.events.kms('derive', body, { count, failures: count, errorCode: err.code });
        throw err;
      }
      // Strict audit: the derived keys leave only once the event is acknowledged (else 301).
      if (deps.events.strict) await deps.events.kmsAcknowledged('derive', body, { count });
      else deps.events.kms('derive', body, { count });
      deps.ok('derive', reply);
      return r;
    },
  );
}
