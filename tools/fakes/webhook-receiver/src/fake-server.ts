import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
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

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
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
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  async function handleEvents(req: IncomingMessage, res: ServerResponse, record: WebhookRequestRecord): Promise<void> {
    const body = await readBody(req, maxBody);
    const answer = (status: number, outcome: string, value: unknown, extra: Record<string, string> = {}): void => {
      record.status = status;
      record.outcome = outcome;
      json(res, status, value, extra);
    };
    const decision = faults.decide();
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    const fault = decision.terminal;
    if (fault?.type === 'hang') {
      record.outcome = 'hung';
      record.status = undefined;
      return;
    }
    if (fault?.type === 'drop') {
      record.outcome = 'dropped';
      record.status = undefined;
      req.socket.destroy();
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

  function handleControl(req: IncomingMessage, res: ServerResponse, url: string): void {
    const route = `${req.method} ${url}`;
    if (route === 'GET /__fake/health') return json(res, 200, { ok: true });
    if (route === 'GET /__fake/received') return json(res, 200, stored);
    if (route === 'GET /__fake/requests') return json(res, 200, log.map(({ headers: _h, ...r }) => r));
    if (route === 'DELETE /__fake/faults') {
      faults.clear();
      return json(res, 200, {});
    }
    if (route === 'POST /__fake/faults') {
      void readBody(req, 64 * 1024).then((b) => {
        try {
          const rule = JSON.parse((b ?? Buffer.alloc(0)).toString('utf8')) as WebhookFaultRule;
          if (typeof rule !== 'object' || rule === null || typeof rule.action?.type !== 'string') throw new Error('bad rule');
          faults.add(rule);
          json(res, 200, {});
        } catch {
          json(res, 400, { error: 'expected {"times"?: n, "action": {"type": ...}}' });
        }
      });
      return;
    }
    json(res, 404, { error: 'not found' });
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    if (url.startsWith('/__fake/')) return handleControl(req, res, url);
    if (url !== path) return json(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
    const id = req.headers['x-tsp-delivery-id'];
    const record: WebhookRequestRecord = { deliveryId: typeof id === 'string' ? id : undefined, status: undefined, outcome: 'pending', events: 0, headers: { ...req.headers } };
    log.push(record);
    handleEvents(req, res, record).catch(() => {
      record.outcome = 'error';
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  };

  const server: Server = tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}${path}`,
    port,
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
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
