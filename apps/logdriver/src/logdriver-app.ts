import Fastify, { FastifyError, FastifyInstance } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema';
import type { Registry } from 'prom-client';
import type { Logger } from '@tsp/observability';
import { describeAjvError, ErrorCode, TspError } from '@tsp/tsp-protocol';
import { IntakeDeps, registerIntakeRoute } from './intake-route';

export type LifecycleState = 'starting' | 'serving' | 'shutting-down';

export interface LogdriverAppDeps extends Omit<IntakeDeps, 'accepting'> {
  state(): LifecycleState;
  registry: Registry;
  logger: Logger;
  maxBodyBytes: number;
  /** Detail for /health. */
  spoolStatus(): { pendingEvents: number };
  /** Counted for every refused batch (400/413/415). */
  rejected(reason: string): void;
}

const CLIENT_ERRORS: Record<string, [string, number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['Request body is not valid JSON', 400, 'json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['Request body is empty; a JSON object is required', 400, 'json'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['Request body is larger than the configured limit (TSP_LOGDRIVER_MAX_BODY_BYTES)', 413, 'too-large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['Content-Type must be application/json', 415, 'media-type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['Content-Length does not match the body', 400, 'json'],
};

/**
 * The logdriver's one HTTP server (not listening): the intake POST /v1/events, /live (200
 * unless shutting down), /ready and /health (200 when serving, 500 while starting or shutting
 * down) and Prometheus /metrics. Every error leaves as `{"code", "message"}`.
 */
export function buildLogdriverApp(deps: LogdriverAppDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.maxBodyBytes,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false } },
    schemaErrorFormatter: (errors: FastifySchemaValidationError[]) =>
      new TspError(ErrorCode.InvalidRequestBody, `Invalid request body: ${errors.map((e) => describeAjvError(e as never)).join('; ')}`),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  app.setErrorHandler((err: FastifyError | TspError, _req, reply) => {
    let e: TspError;
    if (err instanceof TspError) {
      e = err;
      if (e.httpStatus === 400) deps.rejected('invalid');
    } else {
      const known = err.code !== undefined ? CLIENT_ERRORS[err.code] : undefined;
      if (known !== undefined || err.statusCode === 400) {
        const [message, status, reason] = known ?? ['Request body is not valid JSON', 400, 'json'];
        e = new TspError(ErrorCode.InvalidRequestBody, message, status);
        deps.rejected(reason);
      } else {
        deps.logger.error('unexpected error in request', { errorName: err.name, errorCode: err.code });
        e = new TspError(ErrorCode.UnknownError, 'Unexpected error in the logdriver');
      }
    }
    return reply.code(e.httpStatus).send(e.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new TspError(ErrorCode.UnknownError, `Unknown route ${req.method} ${req.url.split('?')[0]}`, 404);
    return reply.code(404).send(e.toBody());
  });

  registerIntakeRoute(app, { ...deps, accepting: () => deps.state() === 'serving' });

  const serving = (): boolean => deps.state() === 'serving';
  app.get('/live', async (_req, reply) => {
    const ok = deps.state() !== 'shutting-down';
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'live' : deps.state() });
  });
  app.get('/ready', async (_req, reply) => {
    return reply.code(serving() ? 200 : 500).send({ status: serving() ? 'ready' : deps.state() });
  });
  app.get('/health', async (_req, reply) => {
    return reply.code(serving() ? 200 : 500).send({ status: serving() ? 'ok' : deps.state(), spool: deps.spoolStatus() });
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return app;
}
