import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { actOutSilentFault, ControlRoutes, guardedListener, generateLoopbackCertificate, LatencyTimers, LoopbackCertificate, readBody, runControlRoute, sendJson, startLoopbackServer } from '@tsp/fake-support';
import { checkSignature } from './signature-check';
import { WebhookFaultRule, WebhookFaultTable } from './faults';

/**
 * A loopback receiver of the `webhook` sink's contract (docs/sinks/webhook.md): POST <path>
 * with `{"events":[...]}`, X-TSP-Delivery-Id and X-TSP-Signature verified for real (HMAC-SHA256,
 * constant-time compare, timestamp tolerance, 401 on any failure). A delivery id already stored
 * is answered 200 without storing again. HTTPS with a self-signed loopback certificate unless
 * `tls: false`. Control API: GET /__fake/health, GET /__fake/received, POST|DELETE /__fake/faults.
 */
export interface FakeWebhookReceiverOptions {
  /** 0 (default): any free port. Always bound to 127.0.0.1. */
  port?: number;
  /** Accepted signing secrets (several during a rotation). Default: one generated. */
  secrets?: string[];
  /** Certificate to serve; undefined: one is generated (openssl CLI); false: plain http. */
  tls?: LoopbackCertificate | false;
  /** Path events are POSTed to (default /events). */
  path?: string;
  /** Largest accepted |now - t| of a signature, seconds (default 300). */
  toleranceSeconds?: number;
  /** Largest accepted body, bytes (default 8 MiB); more is answered 413. */
  maxBodyBytes?: number;
  /** Clock of the signature check, ms (default Date.now). */
  now?: () => number;
  faults?: WebhookFaultRule[];
}

export interface WebhookRequestRecord {
  deliveryId: string | undefined;
  status: number | undefined;
  /** 'stored', 'duplicate', 'partial', a refusal reason, a fault name, or 'dropped'/'hung'. */
  outcome: string;
  events: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeWebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** The certificate served (trust it as the CA), undefined on plain http. */
  readonly caCertificate: string | undefined;
  readonly secrets: readonly string[];
  /** Stored events (the delivered objects), in arrival order. */
  received(): Record<string, unknown>[];
  requests(): WebhookRequestRecord[];
  clear(): void;
  setSecrets(secrets: string[]): void;
  addFault(rule: WebhookFaultRule): void;
  clearFaults(): void;
  faults(): WebhookFaultRule[];
  stop(): Promise<void>;
}


function eventsOf(body: Buffer): Record<string, unknown>[] | undefined {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    const events = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)['events'] : undefined;
    if (!Array.isArray(events) || events.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) return undefined;
    return events as Record<string, unknown>[];
  } catch {
    return undefined;
  }
}

export async function startFakeWebhookReceiver(options: FakeWebhookReceiverOptions = {}): Promise<FakeWebhookReceiver> {
  const tls = options.tls === false ? undefined : (options.tls ?? generateLoopbackCertificate());
  const path = options.path ?? '/events';
  const tolerance = options.toleranceSeconds ?? 300;
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const now = options.now ?? Date.now;
  let secrets = [...(options.secrets ?? [randomBytes(24).toString('base64url')])];
  const faults = new WebhookFaultTable();
  for (const f of options.faults ?? []) faults.add(f);
  let stored: Record<string, unknown>[] = [];
  let log: WebhookRequestRecord[] = [];
  const done = new Set<string>();
  const timers = new LatencyTimers();

  async function handleEvents(req: IncomingMessage, res: ServerResponse, record: WebhookRequestRecord): Promise<void> {
    const raw = await readBody(req, maxBody);
    const body = raw === 'too-large' ? undefined : raw;
    const answer = (status: number, outcome: string, value: unknown, extra: Record<string, string> = {}): void => {
      record.status = status;
      record.outcome = outcome;
      sendJson(res, status, value, extra);
    };
    const decision = faults.decide();
    if (decision.latencyMs > 0) await timers.sleep(decision.latencyMs);
    const fault = decision.terminal;
    const silent = actOutSilentFault(fault?.type, req);
    if (silent !== undefined) {
      record.outcome = silent;
      record.status = undefined;
      return;
    }
    if (fault?.type === 'unavailable') return answer(fault.status ?? 503, 'unavailable', { error: 'service unavailable' });
    if (fault?.type === 'throttle') return answer(429, 'throttled', { error: 'too many requests' }, { 'retry-after': String(fault.retryAfterSeconds) });
    if (body === undefined) return answer(413, 'too large', { error: `body larger than ${maxBody} bytes` });
    const sig = req.headers['x-tsp-signature'];
    const check = checkSignature(typeof sig === 'string' ? sig : undefined, body, secrets, Math.floor(now() / 1000), tolerance);
    if (!check.ok) return answer(401, check.error, { error: check.error });
    if (!String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return answer(415, 'unsupported media type', { error: 'Content-Type must be application/json' });
    }
    const deliveryId = record.deliveryId;
    if (deliveryId === undefined || !/^[0-9a-f]{64}$/.test(deliveryId)) return answer(400, 'bad delivery id', { error: 'X-TSP-Delivery-Id must be 64 hex digits' });
    const events = eventsOf(body);
    if (events === undefined) return answer(400, 'malformed', { error: 'body must be {"events":[objects]}' });
    record.events = events.length;
    if (done.has(deliveryId)) return answer(200, 'duplicate', { duplicate: true });
    if (fault?.type === 'reject') return answer(fault.status ?? 400, 'rejected', { error: fault.error ?? 'events refused by the receiver' });
    if (fault?.type === 'partial') {
      const failed = [
        ...fault.rejectIndices.filter((i) => i < events.length).map((index) => ({ index, retry: false, reason: 'event refused by the receiver' })),
        ...fault.retryIndices.filter((i) => i < events.length).map((index) => ({ index, retry: true, reason: 'temporarily unable to store the event' })),
      ];
      const refused = new Set(failed.map((f) => f.index));
      stored.push(...events.filter((_e, i) => !refused.has(i)));
      done.add(deliveryId);
      return answer(207, 'partial', { failed });
    }
    stored.push(...events);
    done.add(deliveryId);
    return answer(200, 'stored', { stored: events.length });
  }

  const controlRoutes: ControlRoutes = {
    'GET /__fake/health': () => ({ status: 200, body: { ok: true } }),
    'GET /__fake/received': () => ({ status: 200, body: stored }),
    'GET /__fake/requests': () => ({ status: 200, body: log.map(({ headers: _h, ...r }) => r) }),
    'DELETE /__fake/faults': () => {
      faults.clear();
      return { status: 200, body: {} };
    },
    'POST /__fake/faults': async (r) => {
      const rule = (await r.json()) as WebhookFaultRule | undefined;
      if (typeof rule !== 'object' || rule === null || typeof rule.action?.type !== 'string') return { status: 400, body: { error: 'expected {"times"?: n, "action": {"type": ...}}' } };
      faults.add(rule);
      return { status: 200, body: {} };
    },
  };

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const answer = (await runControlRoute(req, url, controlRoutes)) ?? { status: 404, body: { error: 'not found' } };
    sendJson(res, answer.status, answer.body);
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    if (url.startsWith('/__fake/')) return handleControl(req, res, url);
    if (url !== path) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
    const id = req.headers['x-tsp-delivery-id'];
    const record: WebhookRequestRecord = { deliveryId: typeof id === 'string' ? id : undefined, status: undefined, outcome: 'pending', events: 0, headers: { ...req.headers } };
    log.push(record);
    await handleEvents(req, res, record).catch((e: unknown) => {
      record.outcome = 'error';
      throw e;
    });
  };

  const server = await startLoopbackServer(
    guardedListener(handle, (res) => sendJson(res, 500, { error: 'internal error' })),
    { port: options.port, tls },
  );

  return {
    url: `${server.url}${path}`,
    port: server.port,
    caCertificate: tls?.cert,
    get secrets() {
      return secrets;
    },
    received: () => stored.map((e) => ({ ...e })),
    requests: () => log.map((r) => ({ ...r })),
    clear() {
      stored = [];
      log = [];
      done.clear();
    },
    setSecrets(s) {
      secrets = [...s];
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    stop: () => {
      timers.clear();
      return server.stop();
    },
  };
}
