import type { FastifyInstance } from 'fastify';
import {
  ErrorCode,
  normalizeApplicationEventName,
  ReportOperationsRequest,
  RequestSchemas,
  SecurityEventRequest,
  TspError,
} from '@tsp/tsp-protocol';
import type { RouteDeps } from '../app';

/** The security-event answer is exactly the 4 bytes `null`. */
const NULL_BODY = 'null';

export function registerEventRoutes(app: FastifyInstance, schemas: RequestSchemas, deps: RouteDeps): void {
  app.post<{ Body: SecurityEventRequest }>(
    '/api/1/event/security-event',
    { schema: { body: schemas.securityEvent }, config: { metricsRoute: 'security-event' } },
    async (req, reply) => {
      const body = req.body;
      // Node, Java, Go and PHP send the name in iclFields; the Rust client at top level.
      const raw = body.iclFields.event ?? body.event;
      if (raw == null || raw === '') {
        throw new TspError(ErrorCode.InvalidRequestBody, 'Invalid request body: iclFields.event is required');
      }
      const name = normalizeApplicationEventName(raw);
      if (name === undefined) {
        throw new TspError(ErrorCode.InvalidRequestBody, 'Invalid request body: iclFields.event is not a known security event name (see tsp-api.md) or CUSTOM_<NAME>');
      }
      // Strict audit: `null` only once the logdriver acknowledged the event (else 301).
      if (deps.events.strict) await deps.events.applicationAcknowledged(name, body);
      else if (!deps.events.application(name, body)) {
        throw new TspError(ErrorCode.SecurityEventRejected, 'Security event rejected: the event queue is full', 503);
      }
      deps.ok('security-event', reply);
      return reply.type('application/json').send(NULL_BODY);
    },
  );

  app.post<{ Body: ReportOperationsRequest }>(
    '/api/1/document/report-operations',
    { schema: { body: schemas.reportOperations }, config: { metricsRoute: 'report-operations' } },
    async (req, reply) => {
      const body = req.body;
      deps.keys.tenant(body.tenantId);
      let wraps = 0;
      let unwraps = 0;
      for (const op of Object.values(body.operations)) {
        wraps += op.wraps;
        unwraps += op.unwraps;
      }
      if (deps.events.strict) await deps.events.kmsAcknowledged('reportOperations', body, { count: wraps + unwraps });
      else deps.events.kms('reportOperations', body, { count: wraps + unwraps });
      deps.ok('report-operations', reply);
      return reply.type('application/json').send(NULL_BODY);
    },
  );
}
