import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { actOutSilentFault, ControlRoutes, faultRoutes, guardedListener, LatencyTimers, LoopbackFake, LoopbackServerOptions, readBody, receivedRoutes, runControlRoute, startLoopbackServer } from '@tsp/fake-support';
import { SumoFaultRule, SumoFaultTable, sumoFaultProblems } from './faults';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface FakeSumoLogicOptions extends LoopbackServerOptions {
  /** URL tokens of the HTTP sources that exist (default: one random token). */
  tokens?: string[];
  /** Largest (decompressed) request body in bytes; more is a 413 (default 1,000,000: Sumo's 1 MB). */
  maxPayloadBytes?: number;
  faults?: SumoFaultRule[];
}

/** One log line as the fake ingested it, with the metadata headers of its request. */
export interface SumoMessage {
  line: string;
  category: string | undefined;
  name: string | undefined;
  host: string | undefined;
}

/** One request as the fake saw it (the token in the path is replaced by its index in `tokens`). */
export interface SumoRequestRecord {
  method: string;
  /** '/receiver/v1/http/<token #n>' or the path of an unknown source as '/receiver/v1/http/[unknown]'. */
  path: string;
  headers: Record<string, string>;
  /** Body bytes as sent (compressed when it was). */
  wireBytes: number;
  /** The decompressed body text. */
  body: string;
  status: number;
}

export interface FakeSumoLogic extends LoopbackFake {
  readonly tokens: readonly string[];
  /** The HTTP source URL of a token (default: the first), the secret a sink is configured with. */
  sourceUrl(token?: string): string;
  received(): SumoMessage[];
  requests(): SumoRequestRecord[];
  clearReceived(): void;
  addFault(rule: SumoFaultRule): void;
  clearFaults(): void;
  /** Deletes a source: its URL answers 401 from now on (as a regenerated or deleted URL does). */
  revoke(token: string): void;
}

const SOURCE_PREFIX = '/receiver/v1/http/';

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

function reply(res: ServerResponse, r: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', ...(r.headers ?? {}) });
  res.end(r.body);
}

const STATUS_TEXT: Record<number, string> = {
  200: '',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function status(code: number, headers?: Record<string, string>): Reply {
  return { status: code, body: STATUS_TEXT[code] ?? '', ...(headers !== undefined ? { headers } : {}) };
}

/**
 * Starts a loopback fake of a Sumo Logic hosted collector's HTTP Logs source:
 * POST /receiver/v1/http/<token>, newline-delimited log lines, optionally gzip or deflate
 * (Content-Encoding), metadata headers X-Sumo-Category / X-Sumo-Name / X-Sumo-Host. Status codes
 * as Sumo's troubleshooting page lists them: 200 received; 401 missing or invalid URL token;
 * 408; 429 quota throttling; 503; 504; plus 413 over the 1 MB payload limit.
 */
export async function startFakeSumoLogic(options: FakeSumoLogicOptions = {}): Promise<FakeSumoLogic> {
  const tokens = [...(options.tokens ?? [randomBytes(48).toString('base64url')])];
  const revoked = new Set<string>();
  const maxPayload = options.maxPayloadBytes ?? 1_000_000;
  const faults = new SumoFaultTable();
  for (const f of options.faults ?? []) faults.add(f);
  let messages: SumoMessage[] = [];
  const requests: SumoRequestRecord[] = [];
  const timers = new LatencyTimers();

  const controlRoutes: ControlRoutes = {
    ...receivedRoutes(
      'messages',
      () => messages,
      () => {
        messages = [];
      },
    ),
    ...faultRoutes(faults, sumoFaultProblems),
  };
  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const answer = await runControlRoute(req, path, controlRoutes);
    if (answer === undefined) return reply(res, status(404));
    reply(res, { status: answer.status, body: JSON.stringify(answer.body), headers: { 'Content-Type': 'application/json' } });
  };

  const handleSource = async (req: IncomingMessage, res: ServerResponse, token: string): Promise<void> => {
    const rule = faults.next();
    if (rule?.latencyMs !== undefined && rule.latencyMs > 0) await timers.sleep(rule.latencyMs);
    if (actOutSilentFault(rule?.fault, req) !== undefined) return;
    const known = tokens.indexOf(token);
    const raw = await readBody(req, maxPayload * 4);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const done = (r: Reply, body = ''): void => {
      requests.push({
        method: req.method ?? '',
        path: `${SOURCE_PREFIX}${known >= 0 ? `<token #${known}>` : '[unknown]'}`,
        headers,
        wireBytes: raw === 'too-large' ? maxPayload * 4 : raw.length,
        body,
        status: r.status,
      });
      reply(res, r);
    };
    if (known < 0 || revoked.has(token)) return done(status(401));
    if (req.method !== 'POST') return done(status(405));
    const retryAfter = rule?.retryAfter !== undefined ? { 'Retry-After': rule.retryAfter } : undefined;
    if (rule?.fault === 'throttle') return done(status(429, retryAfter));
    if (rule?.fault === 'unavailable') return done(status(503, retryAfter));
    if (rule?.fault === 'gateway-timeout') return done(status(504));
    if (rule?.fault === 'timeout') return done(status(408));
    if (rule?.fault === 'too-large' || raw === 'too-large') return done(status(413));
    let body: Buffer;
    const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
    try {
      body = encoding === 'gzip' ? await gunzipAsync(raw) : encoding === 'deflate' ? await inflateAsync(raw) : raw;
    } catch {
      return done(status(400));
    }
    if (body.length > maxPayload) return done(status(413));
    const text = body.toString('utf8');
    const meta = {
      category: req.headers['x-sumo-category'] as string | undefined,
      name: req.headers['x-sumo-name'] as string | undefined,
      host: req.headers['x-sumo-host'] as string | undefined,
    };
    for (const line of text.split(/\r?\n/)) if (line.trim() !== '') messages.push({ line, ...meta });
    return done(status(200), text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path.startsWith('/_fake/')) return handleControl(req, res, path);
    if (path.startsWith(SOURCE_PREFIX)) return handleSource(req, res, decodeURIComponent(path.slice(SOURCE_PREFIX.length)));
    return reply(res, status(404));
  };

  const server = await startLoopbackServer(
    guardedListener(handle, (res) => reply(res, status(503))),
    options,
  );
  const { port, url } = server;

  return {
    url,
    port,
    tokens,
    sourceUrl: (token = tokens[0]) => `${url}${SOURCE_PREFIX}${encodeURIComponent(token)}`,
    received: () => [...messages],
    requests: () => [...requests],
    clearReceived: () => {
      messages = [];
      requests.length = 0;
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    revoke: (token) => {
      revoked.add(token);
    },
    stop: () => {
      timers.clear();
      return server.stop();
    },
  };
}
