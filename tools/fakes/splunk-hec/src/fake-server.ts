import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { actOutSilentFault, ControlRoutes, faultRoutes, guardedListener, LatencyTimers, LoopbackFake, LoopbackServerOptions, readBody, receivedRoutes, runControlRoute, startLoopbackServer } from '@tsp/fake-support';
import { HecAnswer, hecAnswers } from './hec-answers';
import { splitHecBody } from './hec-body';
import { SplunkHecFaultRule, SplunkHecFaultTable, splunkHecFaultProblems } from './faults';

const gunzipAsync = promisify(gunzip);

/** One HEC token the fake accepts. */
export interface FakeHecToken {
  token: string;
  /** A disabled token is refused with 403 {"text":"Token disabled","code":1}. */
  disabled?: boolean;
  /** Indexes the token may write to (default ['main']); the first is its default index. */
  indexes?: string[];
  /** Indexer acknowledgement: requests need a channel (X-Splunk-Request-Channel) and get an ackId. */
  ack?: boolean;
}

export interface FakeSplunkHecOptions extends LoopbackServerOptions {
  /** Tokens accepted (default: one random token, indexes ['main']). */
  tokens?: FakeHecToken[];
  /** splunkd's max_content_length in bytes of the (decompressed) body (default 1,000,000). */
  maxContentLength?: number;
  faults?: SplunkHecFaultRule[];
}

/** An event as the fake indexed it: the HEC envelope, with the index resolved. */
export interface IndexedHecEvent {
  time: unknown;
  host: unknown;
  source: unknown;
  sourcetype: unknown;
  index: string;
  event: unknown;
  /** The channel the request came on (X-Splunk-Request-Channel), if any. */
  channel: string | undefined;
}

/** One request as the fake saw it (the Authorization header is reduced to its scheme). */
export interface HecRequestRecord {
  method: string;
  path: string;
  /** Request headers, lower-case, without authorization. */
  headers: Record<string, string>;
  /** Scheme of the Authorization header ('Splunk', 'Basic', ...) or undefined. */
  authScheme: string | undefined;
  /** The decompressed body text. */
  body: string;
  status: number;
}

/** `url` is the sink's settings.url. */
export interface FakeSplunkHec extends LoopbackFake {
  /** Tokens accepted; the first is "the" token. */
  readonly tokens: readonly FakeHecToken[];
  /** Events indexed so far, in arrival order. */
  received(): IndexedHecEvent[];
  requests(): HecRequestRecord[];
  clearReceived(): void;
  addFault(rule: SplunkHecFaultRule): void;
  clearFaults(): void;
  setTokenDisabled(token: string, disabled: boolean): void;
}

const EVENT_PATHS = new Set(['/services/collector', '/services/collector/event', '/services/collector/event/1.0']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function reply(res: ServerResponse, a: HecAnswer): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  res.writeHead(a.status, {
    'Content-Type': typeof a.body === 'string' ? 'text/plain; charset=UTF-8' : 'application/json; charset=UTF-8',
    'X-Content-Type-Options': 'nosniff',
    ...(a.headers ?? {}),
  });
  res.end(text);
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k !== 'authorization' && v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** What HEC does with a well-formed event that breaks its rules (null when it is acceptable). */
function eventProblem(e: Record<string, unknown>, n: number, token: FakeHecToken): HecAnswer | null {
  if (!Object.prototype.hasOwnProperty.call(e, 'event')) return hecAnswers.eventRequired(n);
  const ev = e['event'];
  if (ev === null || (typeof ev === 'string' && ev.trim() === '')) return hecAnswers.eventBlank(n);
  const time = e['time'];
  if (time !== undefined && typeof time !== 'number' && !(typeof time === 'string' && /^\d+(\.\d+)?$/.test(time))) return hecAnswers.invalidDataFormat(n);
  for (const k of ['host', 'source', 'sourcetype', 'index']) if (e[k] !== undefined && typeof e[k] !== 'string') return hecAnswers.invalidDataFormat(n);
  const index = e['index'];
  if (typeof index === 'string' && !(token.indexes ?? ['main']).includes(index)) return hecAnswers.incorrectIndex(n);
  return null;
}

/**
 * Starts a loopback fake of Splunk HTTP Event Collector (POST /services/collector/event with
 * `Authorization: Splunk <token>`, concatenated JSON envelopes), answering as HEC documents it.
 * Events of a batch are processed in order: when event N is bad, events 0..N-1 are indexed and
 * the answer names N (invalid-event-number), as the real HEC does.
 */
export async function startFakeSplunkHec(options: FakeSplunkHecOptions = {}): Promise<FakeSplunkHec> {
  const tokens: FakeHecToken[] = (options.tokens ?? [{ token: randomUUID() }]).map((t) => ({ ...t }));
  const maxContentLength = options.maxContentLength ?? 1_000_000;
  const faults = new SplunkHecFaultTable();
  for (const f of options.faults ?? []) faults.add(f);
  let indexed: IndexedHecEvent[] = [];
  const requests: HecRequestRecord[] = [];
  let nextAckId = 0;
  const acked = new Map<string, Set<number>>();

  // Latency timers, cleared by stop() so a delayed answer cannot outlive the fake.
  const timers = new LatencyTimers();

  const record = (req: IncomingMessage, path: string, body: string, status: number): void => {
    const auth = req.headers.authorization;
    requests.push({ method: req.method ?? '', path, headers: headerRecord(req), authScheme: auth?.split(' ')[0], body, status });
  };

  const controlRoutes: ControlRoutes = {
    ...receivedRoutes(
      'events',
      () => indexed,
      () => {
        indexed = [];
      },
    ),
    ...faultRoutes(faults, splunkHecFaultProblems),
  };
  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const answer = await runControlRoute(req, path, controlRoutes);
    reply(res, answer === undefined ? hecAnswers.notFound() : { status: answer.status, body: answer.body as Record<string, unknown> });
  };

  const authenticate = (req: IncomingMessage): FakeHecToken | HecAnswer => {
    const auth = req.headers.authorization;
    if (auth === undefined || auth.trim() === '') return hecAnswers.tokenRequired();
    const m = /^Splunk\s+(\S+)$/.exec(auth.trim());
    if (m === null) return hecAnswers.invalidAuthorization();
    const token = tokens.find((t) => t.token === m[1]);
    if (token === undefined) return hecAnswers.invalidToken();
    if (token.disabled === true) return hecAnswers.tokenDisabled();
    return token;
  };

  const handleEvents = async (req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> => {
    const rule = faults.next();
    if (rule?.latencyMs !== undefined && rule.latencyMs > 0) await timers.sleep(rule.latencyMs);
    if (actOutSilentFault(rule?.fault, req) !== undefined) return; // drop or hang: stop() closes a hung request
    const raw = await readBody(req, maxContentLength);
    const declared = Number(req.headers['content-length'] ?? (raw === 'too-large' ? maxContentLength + 1 : raw.length));
    const done = (a: HecAnswer, body = ''): void => {
      record(req, path, body, a.status);
      reply(res, a);
    };
    if (raw === 'too-large' || rule?.fault === 'too-large') return done(hecAnswers.tooLarge(declared, maxContentLength));
    const who = authenticate(req);
    if ('status' in who) return done(who);
    let bodyBuf = raw;
    if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
      try {
        bodyBuf = await gunzipAsync(raw);
      } catch {
        return done(hecAnswers.invalidDataFormat(0));
      }
      if (bodyBuf.length > maxContentLength) return done(hecAnswers.tooLarge(bodyBuf.length, maxContentLength));
    }
    const text = bodyBuf.toString('utf8');
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    if (who.ack === true) {
      if (channel === undefined) return done(hecAnswers.channelMissing(), text);
      if (!GUID.test(channel)) return done(hecAnswers.invalidChannel(), text);
    }
    if (rule?.fault === 'internal') return done(hecAnswers.internalError(), text);
    const split = splitHecBody(text);
    if (split.events.length === 0 && split.invalidAt === undefined) return done(hecAnswers.noData(), text);
    // Process in order; stop at the first bad event (or at the one a fault names).
    let stopAt: number | undefined;
    let stopAnswer: HecAnswer | undefined;
    const count = split.events.length + (split.invalidAt === undefined ? 0 : 1);
    if (rule?.fault === 'invalid-event' || (rule?.fault === 'busy' && rule.invalidEventNumber !== undefined)) {
      stopAt = Math.min(rule.invalidEventNumber ?? 0, count - 1);
      stopAnswer = rule.fault === 'busy' ? hecAnswers.serverBusy(stopAt, rule.retryAfter) : hecAnswers.invalidDataFormat(stopAt);
    } else if (rule?.fault === 'busy') {
      return done(hecAnswers.serverBusy(undefined, rule.retryAfter), text);
    }
    const accepted: IndexedHecEvent[] = [];
    for (let i = 0; i < count; i++) {
      if (stopAt === i) break;
      if (i === split.invalidAt) {
        stopAt = i;
        stopAnswer = hecAnswers.invalidDataFormat(i);
        break;
      }
      const e = split.events[i];
      const problem = eventProblem(e, i, who);
      if (problem !== null) {
        stopAt = i;
        stopAnswer = problem;
        break;
      }
      accepted.push({
        time: e['time'],
        host: e['host'],
        source: e['source'],
        sourcetype: e['sourcetype'],
        index: typeof e['index'] === 'string' ? e['index'] : (who.indexes ?? ['main'])[0],
        event: e['event'],
        channel,
      });
    }
    indexed.push(...accepted);
    if (stopAnswer !== undefined) return done(stopAnswer, text);
    if (who.ack === true && channel !== undefined) {
      const id = nextAckId++;
      acked.set(channel, (acked.get(channel) ?? new Set<number>()).add(id));
      return done(hecAnswers.success(id), text);
    }
    return done(hecAnswers.success(), text);
  };

  const handleAck = async (req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> => {
    const raw = await readBody(req, 64 * 1024);
    const text = raw === 'too-large' ? '' : raw.toString('utf8');
    const done = (a: HecAnswer): void => {
      record(req, path, text, a.status);
      reply(res, a);
    };
    const who = authenticate(req);
    if ('status' in who) return done(who);
    if (who.ack !== true) return done(hecAnswers.ackDisabled());
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    if (channel === undefined) return done(hecAnswers.channelMissing());
    if (!GUID.test(channel)) return done(hecAnswers.invalidChannel());
    let ids: unknown;
    try {
      ids = (JSON.parse(text) as { acks?: unknown }).acks;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) return done(hecAnswers.invalidDataFormat(0));
    const mine = acked.get(channel) ?? new Set<number>();
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) acks[String(id)] = mine.has(id);
    return done({ status: 200, body: { acks } });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/_fake/')) return handleControl(req, res, path);
    if (path === '/services/collector/health' || path === '/services/collector/health/1.0') {
      record(req, path, '', 200);
      return reply(res, hecAnswers.healthy());
    }
    if (req.method === 'POST' && EVENT_PATHS.has(path)) return handleEvents(req, res, path, url);
    if (req.method === 'POST' && path === '/services/collector/ack') return handleAck(req, res, path, url);
    record(req, path, '', 404);
    return reply(res, hecAnswers.notFound());
  };

  const server = await startLoopbackServer(
    guardedListener(handle, (res) => reply(res, hecAnswers.internalError())),
    options,
  );
  server.server.keepAliveTimeout = 5000;
  const { port, url } = server;

  return {
    url,
    port,
    tokens,
    received: () => [...indexed],
    requests: () => [...requests],
    clearReceived: () => {
      indexed = [];
      requests.length = 0;
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    setTokenDisabled: (token, disabled) => {
      const t = tokens.find((x) => x.token === token);
      if (t !== undefined) t.disabled = disabled;
    },
    stop: () => {
      timers.clear();
      return server.stop();
    },
  };
}
