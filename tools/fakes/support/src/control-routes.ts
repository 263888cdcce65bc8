import type { IncomingMessage } from 'node:http';
import { parseJsonLenient, readBody } from './request-body';

/** A control API answer, sent by the fake in its own way (headers, framing). */
export interface ControlReply {
  status: number;
  body: unknown;
}

/** What a control route may ask of its request. */
export interface ControlRequest {
  /** The body parsed as JSON; undefined when empty, not JSON, or over the body limit. */
  json(): Promise<unknown>;
}

/** Control routes keyed by `METHOD /path` (e.g. `POST /_fake/faults`). */
export type ControlRoutes = Record<string, (request: ControlRequest) => ControlReply | Promise<ControlReply>>;

/** Largest control request body read by default, bytes. */
export const CONTROL_BODY_LIMIT = 64 * 1024;

/**
 * Runs the control route `${req.method} ${path}`; undefined when there is none (the fake answers
 * its own 404). The body is read only when the route asks for it, up to `bodyLimit` bytes.
 */
export async function runControlRoute(req: IncomingMessage, path: string, routes: ControlRoutes, bodyLimit = CONTROL_BODY_LIMIT): Promise<ControlReply | undefined> {
  const route = Object.prototype.hasOwnProperty.call(routes, `${req.method ?? ''} ${path}`) ? routes[`${req.method ?? ''} ${path}`] : undefined;
  if (route === undefined) return undefined;
  return route({
    json: async () => {
      const raw = await readBody(req, bodyLimit);
      return raw === 'too-large' ? undefined : parseJsonLenient(raw.toString('utf8'));
    },
  });
}

/** 200 {} : the usual answer of a control route that did what it was asked. */
export function controlDone(): ControlReply {
  return { status: 200, body: {} };
}

/**
 * The answer to a fault rule posted to the control API: 400 {problems} when `problems(rule)`
 * finds any (nothing is added), else the rule is added and the answer is `addedStatus` (200) {}.
 */
export function addValidRule<R>(rule: unknown, problems: (rule: unknown) => string[], add: (rule: R) => void, addedStatus = 200): ControlReply {
  const found = problems(rule);
  if (found.length > 0) return { status: 400, body: { problems: found } };
  add(rule as R);
  return { status: addedStatus, body: {} };
}

/** The fault table a control API edits. */
export interface EditableFaults<R> {
  add(rule: R): void;
  clear(): void;
}

/**
 * The usual /_fake/ fault routes: POST /_fake/faults (a rule, checked by `problems`: 400
 * {problems} or 200 {}), DELETE /_fake/faults (200 {}), and, when `setLatency` is given,
 * PUT /_fake/latency {ms}.
 */
export function faultRoutes<R>(faults: EditableFaults<R>, problems: (rule: unknown) => string[], setLatency?: (ms: number) => void): ControlRoutes {
  return {
    'POST /_fake/faults': async (r) => addValidRule(await r.json(), problems, (rule: R) => faults.add(rule)),
    'DELETE /_fake/faults': () => {
      faults.clear();
      return controlDone();
    },
    ...(setLatency === undefined ? {} : { 'PUT /_fake/latency': async (r: ControlRequest) => setValidLatency(await r.json(), setLatency) }),
  };
}

/**
 * GET /_fake/received answering 200 {[key]: items()}, and, when `clear` is given,
 * DELETE /_fake/received (200 {}).
 */
export function receivedRoutes(key: string, items: () => unknown, clear?: () => void): ControlRoutes {
  return {
    'GET /_fake/received': () => ({ status: 200, body: { [key]: items() } }),
    ...(clear === undefined
      ? {}
      : {
          'DELETE /_fake/received': () => {
            clear();
            return controlDone();
          },
        }),
  };
}

/** The answer to `{ms}` posted to set the latency: 400 {problems} unless ms is a non-negative integer. */
export function setValidLatency(body: unknown, set: (ms: number) => void): ControlReply {
  const ms = typeof body === 'object' && body !== null ? (body as { ms?: unknown }).ms : undefined;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) return { status: 400, body: { problems: ['ms must be a non-negative integer'] } };
  set(ms);
  return controlDone();
}
