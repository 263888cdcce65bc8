import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema';
import { DeriveService, KeyService } from '@tsp/key-service';
import type { Logger, ProxyMetrics } from '@tsp/observability';
import { buildRequestSchemas, describeAjvError, ErrorCode, SchemaLimits, TspError } from '@tsp/tsp-protocol';
import { ApiKeyAuth } from './api-key-auth';
import type { EventRecorder } from './event-recorder';
import { RequestMetrics } from './request-metrics';
import { registerDocumentRoutes } from './routes/document-routes';
import { registerDeriveRoute } from './routes/derive-route';
import { registerEventRoutes } from './routes/event-routes';

export interface ApiDeps {
  keys: KeyService;
  derive: DeriveService;
  events: EventRecorder;
  auth: ApiKeyAuth;
  metrics: ProxyMetrics;
  logger: Logger;
  limits: SchemaLimits & { maxBodyBytes: number };
}

/** What route handlers get: the app's deps and `ok`, which records a successful request. */
export interface RouteDeps extends ApiDeps {
  ok(route: string, reply: FastifyReply): void;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Metrics label of the route. */
    metricsRoute?: string;
  }
}

/**
 * Builds the API server (not listening). Routes are registered explicitly; every error leaves
 * as `{"code", "message"}` with the status of the code.
 */
export function buildApiServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.limits.maxBodyBytes,
    // Two clients concatenate a user's trailing slash: //api/1/...
    routerOptions: { ignoreDuplicateSlashes: true },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false } },
    schemaErrorFormatter: (errors: FastifySchemaValidationError[]) =>
      new TspError(ErrorCode.InvalidRequestBody, `Invalid request body: ${errors.map((e) => describeAjvError(e as never)).join('; ')}`),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const requestMetrics = new RequestMetrics(deps.metrics);
  // Set once close() began (preClose): answers to requests still in flight then say
  // `Connection: close`, so a client does not send its next request on a connection the drain is
  // about to close (fastify itself marks only requests arriving after close began, with a 503).
  // One flag check in the two places every answer passes (ok before its handler returns the
  // body, sendError), no hook on the hot path.
  let draining = false;
  const routeDeps: RouteDeps = {
    ...deps,
    ok: (route, reply) => {
      if (draining) void reply.header('connection', 'close');
      requestMetrics.observe(route, 200, 0, reply.elapsedTime / 1000);
    },
  };
  // No onResponse hook: on this machine one empty onResponse hook cut a bare fastify route's
  // rate by about 40%. Handlers record success (RouteDeps.ok) and sendError records failures.
  const sendError = (req: FastifyRequest, reply: FastifyReply, e: TspError): void => {
    const status = e.httpStatus;
    if (draining) void reply.header('connection', 'close');
    void reply.code(status).type('application/json').send(JSON.stringify(e.toBody()));
    requestMetrics.observe(req.routeOptions.config.metricsRoute ?? 'unknown', status, e.code, reply.elapsedTime / 1000);
  };
  app.addHook('onRequest', (req, reply, done) => {
    if (!deps.auth.check(req.headers.authorization)) {
      sendError(req, reply, new TspError(ErrorCode.UnauthorizedRequest, 'Authorization header must be "cmk <API key>" with a valid API key'));
      return;
    }
    requestMetrics.client(req.headers['x-icl-tsc-language'], req.headers['x-icl-tsc-version']);
    done();
  });

  // forceCloseConnections 'idle' closes only the connections idle when close() begins; a
  // keep-alive connection whose request was in flight turns idle later and would hold close()
  // for fastify's 72 s keepAliveTimeout (a SIGTERM'd proxy then hit TSP_SHUTDOWN_TIMEOUT_MS:
  // tools/containers' stop test). Sweep idle connections until the server has closed.
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    draining = true;
    sweep = setInterval(() => app.server.closeIdleConnections(), 50);
    sweep.unref();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    clearInterval(sweep);
    done();
  });

  app.setErrorHandler((err: FastifyError | TspError, req, reply) => {
    sendError(req, reply, toTspError(err, deps.logger));
  });
  app.setNotFoundHandler((req, reply) => {
    sendError(req, reply, new TspError(ErrorCode.UnknownError, `Unknown route ${req.method} ${req.url.split('?')[0]}`, 404));
  });

  const schemas = buildRequestSchemas(deps.limits);
  registerDocumentRoutes(app, schemas, routeDeps);
  registerDeriveRoute(app, schemas, routeDeps);
  registerEventRoutes(app, schemas, routeDeps);
  return app;
}

const CLIENT_ERRORS: Record<string, [string, number]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['Request body is not valid JSON', 400],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['Request body is empty; a JSON object is required', 400],
  FST_ERR_CTP_BODY_TOO_LARGE: ['Request body is larger than the configured limit (TSP_MAX_BODY_BYTES)', 413],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['Content-Type must be application/json', 415],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['Content-Length does not match the body', 400],
};

function toTspError(err: FastifyError | TspError, logger: Logger): TspError {
  if (err instanceof TspError) return err;
  const known = err.code !== undefined ? CLIENT_ERRORS[err.code] : undefined;
  if (known !== undefined) return new TspError(ErrorCode.InvalidRequestBody, known[0], known[1]);
  if (err instanceof SyntaxError || err.statusCode === 400) {
    return new TspError(ErrorCode.InvalidRequestBody, 'Request body is not valid JSON');
  }
  logger.error('unexpected error in request', { errorName: err.name, errorCode: err.code });
  return new TspError(ErrorCode.UnknownError, 'Unexpected error in the Tenant Security Proxy');
}
