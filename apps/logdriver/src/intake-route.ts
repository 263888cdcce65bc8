/**
 * The intake route: POST /v1/events, as the contract in @tsp/events (intake-contract.ts) says.
 */
import type { FastifyInstance } from 'fastify';
import { INTAKE_BODY_SCHEMA } from '@tsp/events';
import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import type { AdmitFn, AppendResult, IntakeEvent, Spool } from './spool';

export interface IntakeBody {
  events: IntakeEvent[];
}

export interface IntakeDeps {
  spool: Spool;
  /** False while starting or shutting down: the intake answers 503. */
  accepting(): boolean;
  /** The per-tenant disk quota. */
  admit: AdmitFn;
  /** Called after each committed batch (wakes the delivery pipelines, counts). */
  committed(result: AppendResult): void;
  /** Called when a batch is refused after validation (spool failure). */
  refused(reason: string, err: unknown): void;
}

export function registerIntakeRoute(app: FastifyInstance, deps: IntakeDeps): void {
  app.post<{ Body: IntakeBody }>('/v1/events', { schema: { body: INTAKE_BODY_SCHEMA } }, async (req, reply) => {
    if (!deps.accepting()) throw new TspError(ErrorCode.UnknownError, 'The logdriver is not accepting events now; retry later', 503);
    let result;
    try {
      result = deps.spool.append(req.body.events, Date.now(), deps.admit);
    } catch (err) {
      deps.refused('spool', err);
      throw new TspError(ErrorCode.UnknownError, 'The spool could not store the batch; nothing was stored, retry later', 500);
    }
    deps.committed(result);
    // `refused`: events of tenants over their spool quota, not stored (counted as dropped here;
    // the proxy drops them too and fails their strict-mode requests).
    return reply
      .code(200)
      .send({ accepted: result.accepted, duplicates: result.duplicates, ...(result.refused > 0 ? { refused: result.refused, refusedEventIds: result.refusedIds } : {}) });
  });
}
