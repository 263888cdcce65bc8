import type { IncomingMessage, ServerResponse } from 'node:http';
import { enrollServiceAccounts, googleHost, GoogleHost, sendGoogleJson as sendJson, ServiceAccountPublicKey } from '@tsp/fake-gcp-kms';
import { actOutSilentFault, delayUnlessClosed, guardedListener, parseJsonLenient, readBody as readLimited, startLoopbackServer } from '@tsp/fake-support';
import { FakeFault, FaultPlan, parseFault } from './faults';
import { GoogleErrorReply, internal, invalidArgument, permissionDenied, reply, throttled, unauthenticated, unavailable } from './logging-errors';
import { TokenAuthority } from './token-authority';
import { handleWrite, LogStore, MAX_REQUEST_BYTES, StoredEntry } from './write-handler';

export type { FakeServiceAccount } from '@tsp/fake-gcp-kms';

export interface FakeGoogleCloudLoggingOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Service accounts the token endpoint accepts, by public key. Without any, one is generated. */
  serviceAccounts?: ServiceAccountPublicKey[];
  /** Latency added to every entries:write, ms. */
  latencyMs?: number;
}

/** One entries:write as the fake received it (never the Authorization header). */
export interface ReceivedRequest {
  path: string;
  query: string;
  contentType: string | undefined;
  apiClient: string | undefined;
  body: unknown;
  httpStatus: number;
}

/** `url` is the sink's settings.endpoint. */
export interface FakeGoogleCloudLogging extends GoogleHost {
  /** The jsonPayloads stored so far, in arrival order. */
  received(): Record<string, unknown>[];
  /** The stored entries, whole. */
  entries(): StoredEntry[];
  /** Every entries:write request received (answered or not). */
  requests(): ReceivedRequest[];
  inject(fault: FakeFault, times?: number): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  addServiceAccount(clientEmail: string, publicKeyPem: string): void;
  /** Invalidates every access token issued so far (writes then answer 401). */
  revokeTokens(): void;
  stats(): { writeRequests: number; tokenRequests: number; tokensIssued: number; abandoned: number };
}

const WRITE_PATH = '/v2/entries:write';

/** The body, 'too-large' over `limit` bytes, undefined when the request failed. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | undefined> {
  return readLimited(req, limit).catch(() => undefined);
}

function sendReply(res: ServerResponse, r: GoogleErrorReply): void {
  sendJson(res, r.httpStatus, r.body, r.headers);
}

/** The body parsed as JSON (an empty body is {}); undefined when it is not JSON. */
function parseJson(raw: Buffer): unknown {
  return parseJsonLenient(raw.toString('utf8'), {});
}

function projectOf(body: unknown): string {
  const logName = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['logName'] : undefined;
  return typeof logName === 'string' ? (logName.split('/')[1] ?? 'unknown') : 'unknown';
}

/** The reply a whole-request fault gives, or undefined for faults acting elsewhere. */
function faultReply(fault: FakeFault, body: unknown): GoogleErrorReply | undefined {
  switch (fault.kind) {
    case 'unavailable':
      return unavailable();
    case 'internal':
      return internal();
    case 'throttle':
      return throttled(projectOf(body), fault.retryAfterSeconds);
    case 'reject':
      return invalidArgument('Request contains an invalid argument.');
    case 'unauthenticated':
      return unauthenticated();
    case 'permission-denied':
      return permissionDenied(typeof body === 'object' && body !== null ? String((body as Record<string, unknown>)['logName']) : '');
    default:
      return undefined;
  }
}

/**
 * Starts the fake Cloud Logging API (REST: POST /v2/entries:write, as the Google client
 * libraries' REST transport calls it) and its OAuth token endpoint on 127.0.0.1.
 * Control API (loopback, test use): POST /__control/faults {fault, times?},
 * POST /__control/faults/clear, POST /__control/latency {ms}, POST /__control/revoke-tokens,
 * GET /__control/entries, GET /__control/stats.
 */
export async function startFakeGoogleCloudLogging(options: FakeGoogleCloudLoggingOptions = {}): Promise<FakeGoogleCloudLogging> {
  const plan = new FaultPlan();
  if (options.latencyMs !== undefined) plan.setLatency(options.latencyMs);
  const store: LogStore = { entries: [], keys: new Set() };
  const requests: ReceivedRequest[] = [];
  const counters = { writeRequests: 0, abandoned: 0 };
  let port = 0;
  const oauth = new TokenAuthority(() => [`http://127.0.0.1:${port}/token`, `http://localhost:${port}/token`]);
  const generated = enrollServiceAccounts(oauth, options.serviceAccounts ?? [], 'tsp-logging@fake-project.iam.gserviceaccount.com');

  async function write(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer | 'too-large'): Promise<void> {
    counters.writeRequests++;
    const body = raw === 'too-large' ? undefined : parseJson(raw);
    const record: ReceivedRequest = {
      path: url.pathname,
      query: decodeURIComponent(url.search),
      contentType: req.headers['content-type'],
      apiClient: req.headers['x-goog-api-client'] as string | undefined,
      body,
      httpStatus: 0,
    };
    requests.push(record);
    const answer = (r: GoogleErrorReply | null): void => {
      record.httpStatus = r === null ? 200 : r.httpStatus;
      if (r === null) sendJson(res, 200, {});
      else sendReply(res, r);
    };
    const { fault, latencyMs } = plan.next();
    if (latencyMs > 0) await delayUnlessClosed(latencyMs, res);
    if (res.destroyed || req.socket.destroyed) {
      counters.abandoned++;
      return;
    }
    if (actOutSilentFault(fault?.kind, req) !== undefined) return;
    if (oauth.authenticate(req.headers.authorization) === undefined) return answer(unauthenticated());
    if (raw === 'too-large') return answer(invalidArgument(`Request payload size exceeds the limit: ${MAX_REQUEST_BYTES} bytes.`));
    const alt = url.searchParams.get('$alt');
    if (alt !== null && alt !== 'json' && alt !== 'json;enum-encoding=int') return answer(invalidArgument(`Invalid value for $alt: unsupported.`));
    if (body === undefined) return answer(invalidArgument('Invalid JSON payload received.'));
    const whole = fault !== undefined ? faultReply(fault, body) : undefined;
    if (whole !== undefined) return answer(whole);
    return answer(handleWrite(body, store, fault?.kind === 'partial' ? fault : undefined));
  }

  function control(method: string, path: string, raw: Buffer, res: ServerResponse): void {
    const b = parseJson(raw) as Record<string, unknown> | undefined;
    const ok = (): void => sendJson(res, 200, { ok: true });
    switch (`${method} ${path}`) {
      case 'POST /__control/faults': {
        const f = parseFault(b?.['fault']);
        const times = b?.['times'];
        if (typeof f === 'string') return sendJson(res, 400, { error: f });
        if (times !== undefined && !(typeof times === 'number' && Number.isInteger(times) && times >= 1)) return sendJson(res, 400, { error: 'times must be a positive integer' });
        plan.inject(f, times as number | undefined);
        return ok();
      }
      case 'POST /__control/faults/clear':
        plan.clear();
        return ok();
      case 'POST /__control/latency': {
        const ms = b?.['ms'];
        if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) return sendJson(res, 400, { error: 'ms must be a non-negative integer' });
        plan.setLatency(ms);
        return ok();
      }
      case 'POST /__control/revoke-tokens':
        oauth.revokeAll();
        return ok();
      case 'GET /__control/entries':
        return sendJson(res, 200, { entries: store.entries });
      case 'GET /__control/stats':
        return sendJson(res, 200, stats());
      default:
        return sendJson(res, 404, { error: 'unknown control route' });
    }
  }

  const stats = (): ReturnType<FakeGoogleCloudLogging['stats']> => ({ ...counters, tokenRequests: oauth.tokenRequests, tokensIssued: oauth.tokensIssued });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req, MAX_REQUEST_BYTES);
    if (raw === undefined) return;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/__control/')) return control(req.method ?? 'GET', url.pathname, raw === 'too-large' ? Buffer.alloc(0) : raw, res);
    if (req.method === 'POST' && url.pathname === '/token') {
      const r = oauth.exchange(new URLSearchParams(raw === 'too-large' ? '' : raw.toString('utf8')));
      return sendJson(res, r.ok ? 200 : r.httpStatus, r.body, { 'cache-control': 'no-store' });
    }
    if (req.method === 'POST' && url.pathname === WRITE_PATH) return write(req, res, url, raw);
    return sendReply(res, reply('NOT_FOUND', 'The requested URL was not found on this server.'));
  }

  const server = await startLoopbackServer(
    guardedListener(route, (res) => sendReply(res, internal())),
    { port: options.port },
  );
  port = server.port;
  return {
    ...googleHost(server, generated),
    received: () => store.entries.filter((e) => e.jsonPayload !== undefined).map((e) => e.jsonPayload as Record<string, unknown>),
    entries: () => [...store.entries],
    requests: () => [...requests],
    inject: (fault, times) => plan.inject(fault, times),
    clearFaults: () => plan.clear(),
    setLatency: (ms) => plan.setLatency(ms),
    addServiceAccount: (clientEmail, publicKeyPem) => oauth.addAccount(clientEmail, publicKeyPem),
    revokeTokens: () => oauth.revokeAll(),
    stats,
  };
}
