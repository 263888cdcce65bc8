import type { FastifyInstance } from 'fastify';
import { asTspError, BatchResult, UnwrapResult, WrapResult } from '@tsp/key-service';
import {
  BatchUnwrapRequest,
  BatchWrapRequest,
  ErrorCode,
  RekeyRequest,
  RequestSchemas,
  responseSchemas,
  UnwrapRequest,
  UnwrapResponse,
  WrapRequest,
  WrapResponse,
} from '@tsp/tsp-protocol';
import type { KmsOperation } from '@tsp/events';
import type { RouteDeps } from '../app';
import { b64, batchUnwrapJson, batchWrapJson, dekOut } from './answer-encoding';

function wrapOut(r: WrapResult): WrapResponse {
  return { dek: dekOut(r.dek), edek: b64(r.edek) };
}

/** Records a failed key operation as an event, then lets the error answer the request. */
function failed(deps: RouteDeps, op: KmsOperation, meta: WrapRequest, e: unknown): never {
  const err = asTspError(e, ErrorCode.UnknownError);
  deps.events.kms(op, meta, { failures: 1, errorCode: err.code });
  throw err;
}

/**
 * Strict audit: `answer()` once `acknowledged` resolves; on a rejection (TspError 301) runs
 * `discard`, which wipes the plaintext keys of the result, and fails the request with it.
 */
function afterAck<R>(acknowledged: Promise<unknown>, answer: () => R, discard: () => void): Promise<R> {
  return acknowledged.then(answer, (e: unknown) => {
    discard();
    throw e;
  });
}

function wipeAll(keys: BatchResult<{ dek: Buffer }>['keys']): void {
  for (const k of keys.values()) k.dek.fill(0);
}

/**
 * Runs `call`, then `ok` on its result, synchronously when `call` answers synchronously and
 * after the promise otherwise; `fail` gets a synchronous throw or a rejection alike.
 */
function settle<T, R>(call: () => T | Promise<T>, ok: (t: T) => R | Promise<R>, fail: (e: unknown) => never): R | Promise<R> {
  let r: T | Promise<T>;
  try {
    r = call();
  } catch (e) {
    return fail(e);
  }
  return r instanceof Promise ? r.then(ok, fail) : ok(r);
}

export function registerDocumentRoutes(app: FastifyInstance, schemas: RequestSchemas, deps: RouteDeps): void {
  const { keys, events } = deps;
  // Strict audit mode: a success answers only once its event is acknowledged (afterAck);
  // failures record their event best effort (no key leaves, the answer is an error either way).
  const strict = events.strict;

  // wrap and unwrap are synchronous handlers whenever the key service answers synchronously
  // (a current lease, a cached leased key): no promise and no extra tick on the hot path
  // (best-effort mode).
  app.post<{ Body: WrapRequest; Reply: WrapResponse }>(
    '/api/1/document/wrap',
    { schema: { body: schemas.wrap, response: { 200: responseSchemas.wrap } }, config: { metricsRoute: 'wrap' } },
    (req, reply) => {
      const body = req.body;
      return settle(
        () => keys.wrap(body.tenantId),
        (r) => {
          const detail = { kmsConfigId: r.config.id, leased: r.leased };
          if (strict) {
            return afterAck(
              events.kmsAcknowledged('wrap', body, detail),
              () => {
                deps.ok('wrap', reply);
                return wrapOut(r);
              },
              () => r.dek.fill(0),
            );
          }
          events.kms('wrap', body, detail);
          deps.ok('wrap', reply);
          return wrapOut(r);
        },
        (e) => failed(deps, 'wrap', body, e),
      );
    },
  );

  app.post<{ Body: UnwrapRequest; Reply: UnwrapResponse }>(
    '/api/1/document/unwrap',
    { schema: { body: schemas.unwrap, response: { 200: responseSchemas.unwrap } }, config: { metricsRoute: 'unwrap' } },
    (req, reply) => {
      const body = req.body;
      return settle(
        () => keys.unwrap(body.tenantId, body.encryptedDocumentKey),
        (r) => {
          const detail = { kmsConfigId: r.config.id, leased: r.leased };
          if (strict) {
            return afterAck(
              events.kmsAcknowledged('unwrap', body, detail),
              () => {
                deps.ok('unwrap', reply);
                return { dek: dekOut(r.dek) };
              },
              () => r.dek.fill(0),
            );
          }
          events.kms('unwrap', body, detail);
          deps.ok('unwrap', reply);
          return { dek: dekOut(r.dek) };
        },
        (e) => failed(deps, 'unwrap', body, e),
      );
    },
  );

  app.post<{ Body: BatchWrapRequest }>(
    '/api/1/document/batch-wrap',
    // The answer is written by batchWrapJson (shape: responseSchemas.batchWrap, checked in tests).
    { schema: { body: schemas.batchWrap }, config: { metricsRoute: 'batch-wrap' } },
    async (req, reply) => {
      const body = req.body;
      let r: BatchResult<WrapResult>;
      try {
        r = await keys.batchWrap(body.tenantId, body.documentIds);
      } catch (e) {
        return failed(deps, 'batchWrap', body, e);
      }
      const first = r.keys.values().next().value;
      const detail = { kmsConfigId: first?.config.id, leased: first?.leased ?? false, count: body.documentIds.length, failures: r.failures.size };
      if (strict) await afterAck(events.kmsAcknowledged('batchWrap', body, detail), () => undefined, () => wipeAll(r.keys));
      else events.kms('batchWrap', body, detail);
      deps.ok('batch-wrap', reply);
      return reply.type('application/json').send(batchWrapJson(r));
    },
  );

  app.post<{ Body: BatchUnwrapRequest }>(
    '/api/1/document/batch-unwrap',
    { schema: { body: schemas.batchUnwrap }, config: { metricsRoute: 'batch-unwrap' } },
    async (req, reply) => {
      const body = req.body;
      let r: BatchResult<UnwrapResult>;
      try {
        r = await keys.batchUnwrap(body.tenantId, body.edeks);
      } catch (e) {
        return failed(deps, 'batchUnwrap', body, e);
      }
      const detail = { count: r.keys.size + r.failures.size, failures: r.failures.size };
      if (strict) await afterAck(events.kmsAcknowledged('batchUnwrap', body, detail), () => undefined, () => wipeAll(r.keys));
      else events.kms('batchUnwrap', body, detail);
      deps.ok('batch-unwrap', reply);
      return reply.type('application/json').send(batchUnwrapJson(r));
    },
  );

  app.post<{ Body: RekeyRequest; Reply: WrapResponse }>(
    '/api/1/document/rekey',
    { schema: { body: schemas.rekey, response: { 200: responseSchemas.rekey } }, config: { metricsRoute: 'rekey' } },
    async (req, reply) => {
      const body = req.body;
      let r: WrapResult;
      try {
        r = await keys.rekey(body.tenantId, body.encryptedDocumentKey, body.newTenantId);
      } catch (e) {
        return failed(deps, 'rekey', body, e);
      }
      // Both tenants see the key move: the source (its key left) and the target (it received one).
      const source = { otherTenantId: body.newTenantId };
      const target = { kmsConfigId: r.config.id, leased: r.leased, otherTenantId: body.tenantId };
      if (strict) {
        const both = Promise.all([events.kmsAcknowledged('rekey', body, source), events.kmsAcknowledged('rekey', body, target, body.newTenantId)]);
        await afterAck(both, () => undefined, () => r.dek.fill(0));
      } else {
        events.kms('rekey', body, source);
        events.kms('rekey', body, target, body.newTenantId);
      }
      deps.ok('rekey', reply);
      return wrapOut(r);
    },
  );
}
