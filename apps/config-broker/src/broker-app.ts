import type { KeyObject } from 'node:crypto';
import Fastify, { FastifyError, FastifyInstance } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema';
import { BrokerRepository, RepositoryError } from '@tsp/broker-store';
import { publicKeyOf } from '@tsp/config-crypto';
import type { Logger } from '@tsp/observability';
import { describeAjvError } from '@tsp/tsp-protocol';
import { ADMIN_PAGE_PREFIX, registerAdminPage } from './admin-page/admin-page';
import type { AdminEventForwarder } from './admin-event-forwarder';
import { BrokerError, fromRepositoryError } from './broker-error';
import { registerDocumentRoute } from './document-route';
import { DocumentWaiters } from './document-waiters';
import { registerKmsConfigRoutes } from './kms-config-routes';
import { registerLoggingConfigRoutes } from './logging-config-routes';
import { openApiDocument } from './openapi';
import { SaRequestAuthenticator } from './sa-request-auth';
import { registerServiceAccountRoutes } from './service-account-routes';
import { adminPrincipalResolver, SessionTokens } from './tenant-admin-auth';
import { registerLoginRoutes, registerTenantAdminRoutes } from './tenant-admin-routes';
import { registerTenantRoutes } from './tenant-routes';
import { registerTenantSecretCreateRoute } from './tenant-secret-create-route';
import { registerTenantSecretRoutes } from './tenant-secret-routes';

export const API_PREFIX = '/api/v1';

export interface BrokerAppDeps {
  repo: BrokerRepository;
  /** The vendor admin's bearer token (16+ characters). */
  adminToken: string;
  /** 32 bytes (sessionKeyFrom(master key)): signs admin sessions and CSRF tokens. */
  sessionKey: Buffer;
  /** How long an admin session lasts, ms (default 8 hours). */
  sessionTtlMs?: number;
  /** Ed25519 private key that signs config documents. */
  brokerSigningKey: KeyObject;
  /** Base URL proxies reach the broker at (http(s), no trailing slash needed). */
  publicUrl: string;
  logger: Logger;
  /** Delivers ADMIN_* events; woken after every successful admin write (optional: tests without it read the outbox). */
  adminEvents?: AdminEventForwarder;
  /** Milliseconds since the epoch; default Date.now (tests move the clock). */
  now?: () => number;
  /** Largest request body, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most config document requests long-polling at once; beyond it 503 + Retry-After: 1 (default 10,000). */
  maxDocumentWaiters?: number;
  /** How often the sequence is read while requests long-poll, ms (default 1000). */
  documentPollIntervalMs?: number;
}

export interface BrokerApp {
  app: FastifyInstance;
  /** Every route registered, as "METHOD /path" with OpenAPI-style `{param}`s. */
  routes: string[];
  /** The long-polling config document requests (`size` counts them). */
  documentWaiters: DocumentWaiters;
}

const CLIENT_ERRORS: Record<string, BrokerError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: new BrokerError('invalid-request', 'Request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: new BrokerError('invalid-request', 'Request body is empty; a JSON object is required'),
  FST_ERR_CTP_BODY_TOO_LARGE: new BrokerError('too-large', 'Request body is larger than the broker accepts'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: new BrokerError('unsupported-media-type', 'Content-Type must be application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: new BrokerError('invalid-request', 'Content-Length does not match the body'),
};

/**
 * The broker's HTTP server, not listening: the admin API under /api/v1 (Bearer admin token),
 * the config document route for service accounts (TSP-SA signatures), the OpenAPI document and
 * /live. Request bodies are validated by JSON schemas (unknown properties are 400s naming the
 * field); every error leaves as `{"code", "message"}`.
 */
export function buildBrokerApp(deps: BrokerAppDeps): BrokerApp {
  const publicUrl = new URL(deps.publicUrl);
  const publicPathPrefix = publicUrl.pathname.replace(/\/+$/, '');
  const publicBase = `${publicUrl.origin}${publicPathPrefix}`;
  const app = Fastify({
    logger: false,
    bodyLimit: deps.maxBodyBytes ?? 1048576,
    exposeHeadRoutes: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false } },
    schemaErrorFormatter: (errors: FastifySchemaValidationError[], dataVar: string) =>
      new BrokerError('invalid-request', `Invalid request: ${errors.map((e) => describeAjvError(e as never, dataVar)).join('; ')}`),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    if (r.url.startsWith(ADMIN_PAGE_PREFIX)) return; // the web page, not the API
    for (const m of [r.method].flat()) routes.push(`${m} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
  });

  app.setErrorHandler((err: FastifyError | BrokerError | RepositoryError, _req, reply) => {
    let e: BrokerError;
    if (err instanceof BrokerError) e = err;
    else if (err instanceof RepositoryError) e = fromRepositoryError(err);
    else {
      const known = err.code !== undefined ? CLIENT_ERRORS[err.code] : undefined;
      if (known !== undefined) e = known;
      else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) e = new BrokerError('invalid-request', 'The request is not valid');
      else {
        deps.logger.error('unexpected error in request', { errorName: err.name, errorCode: err.code });
        e = new BrokerError('internal', 'Unexpected error in the configuration broker');
      }
    }
    if (e.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
    if (e.code === 'unavailable') void reply.header('retry-after', '1');
    return reply.code(e.statusCode).send(e.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new BrokerError('not-found', `Unknown route ${req.method} ${req.url.split('?')[0] ?? ''}`);
    return reply.code(404).send(e.toBody());
  });

  const documentWaiters = new DocumentWaiters({
    readSequence: () => deps.repo.sequence(),
    ...(deps.maxDocumentWaiters !== undefined ? { maxWaiters: deps.maxDocumentWaiters } : {}),
    ...(deps.documentPollIntervalMs !== undefined ? { pollIntervalMs: deps.documentPollIntervalMs } : {}),
    onReadError: (e) => deps.logger.warn('sequence read for waiting config document requests failed', { errorName: (e as Error).name }),
  });
  // Waiters hold requests for up to 60 s: answer them (304) before the server waits for its connections.
  app.addHook('preClose', async () => documentWaiters.close());

  const now = deps.now ?? Date.now;
  const sessions = new SessionTokens(deps.sessionKey, deps.sessionTtlMs ?? 8 * 3600_000);
  const resolvePrincipal = adminPrincipalResolver({ adminToken: deps.adminToken, sessions, repo: deps.repo, now });
  const tenantAdminDeps = { repo: deps.repo, sessions, adminToken: deps.adminToken, publicUrl: publicBase, now };
  const brokerPublicKey = publicKeyOf(deps.brokerSigningKey).export({ format: 'der', type: 'spki' }).toString('base64');
  void app.register(
    async (admin) => {
      // The vendor admin (token or session) or a tenant admin (session); routes then check what each may do.
      admin.addHook('onRequest', async (req) => {
        req.principal = await resolvePrincipal(req.headers.authorization);
      });
      // Every successful write wakes the long-polling document requests (they re-read the sequence once).
      admin.addHook('onResponse', async (req, reply) => {
        if (req.method !== 'GET' && reply.statusCode < 400) {
          documentWaiters.notify();
          deps.adminEvents?.notify();
        }
      });
      registerTenantRoutes(admin, deps.repo);
      registerKmsConfigRoutes(admin, deps.repo);
      registerLoggingConfigRoutes(admin, deps.repo);
      registerServiceAccountRoutes(admin, { repo: deps.repo, brokerPublicKey, publicUrl: publicBase });
      registerTenantAdminRoutes(admin, tenantAdminDeps);
      registerTenantSecretRoutes(admin, deps.repo);
    },
    { prefix: API_PREFIX },
  );
  void app.register(async (open) => registerLoginRoutes(open, tenantAdminDeps), { prefix: API_PREFIX });
  registerAdminPage(app, { sessions, now, publicUrl: publicBase, logger: deps.logger });

  const auth = new SaRequestAuthenticator({ repo: deps.repo, now });
  registerDocumentRoute(app, { repo: deps.repo, brokerSigningKey: deps.brokerSigningKey, auth, publicPathPrefix, logger: deps.logger, waiters: documentWaiters });
  registerTenantSecretCreateRoute(app, { repo: deps.repo, auth, publicPathPrefix, logger: deps.logger, waiters: documentWaiters });

  const openapi = JSON.stringify(openApiDocument(publicBase));
  app.get(`${API_PREFIX}/openapi.json`, async (_req, reply) => reply.type('application/json').send(openapi));
  app.get('/live', async () => ({ status: 'live' }));

  return { app, routes, documentWaiters };
}
