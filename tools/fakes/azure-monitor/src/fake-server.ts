import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { entraEndpoint, EntraHost, entraHost, fakeAppRegistration } from '@tsp/fake-azure-keyvault';
import { addValidRule, generateLoopbackCertificate, guardedListener, LoopbackCertificate, readCappedBody, sendJson, startLoopbackServer } from '@tsp/fake-support';
import { FaultDecision, FaultRule, FaultTable, faultRuleProblems } from './faults';
import {
  accepted, badApiVersion, badContentType, badEncoding, forbidden, internalError, invalidPayload, invalidToken, MAX_CALL_BYTES,
  missingToken, noRoute, Reply, requestHeaders, ruleNotFound, streamNotFound, throttled, tooLarge, unavailable,
} from './ingestion-errors';
import { entraError, EntraReply, MonitorEntraAuthority } from './monitor-entra';

export interface FakeAzureMonitorOptions {
  /** Port on 127.0.0.1 (0 or omitted: any free port). */
  port?: number;
  /** Certificate to serve (default: a fresh self-signed one; MSAL and the sink need https). */
  tls?: LoopbackCertificate;
  tenantGuid?: string;
  clientId?: string;
  clientSecret?: string;
  /** Data collection rules and the streams each declares (default: one rule with Custom-TspEvents_CL). */
  rules?: Record<string, string[]>;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
  /** Sees an exception the fake could not handle (it answers 500); for diagnostics. */
  onError?: (e: unknown) => void;
}

/** One ingestion call as the fake saw it. */
export interface IngestCall {
  ruleId: string;
  stream: string;
  status: number;
  contentEncoding: string | undefined;
  contentType: string | undefined;
  /** Bytes on the wire (compressed when gzip) and after decompression. */
  wireBytes: number;
  bytes: number;
  /** Rows in the call (0 when it could not be read). */
  rows: number;
}

export interface FakeAzureMonitorCounts {
  token: number;
  tokenGranted: number;
  ingest: number;
  accepted: number;
}

/** `url` is the data collection endpoint (settings.endpoint), `authorityHost` settings.authorityHost. */
export interface FakeAzureMonitor extends EntraHost {
  /** PEM of the certificate to trust (settings.caCertificate). */
  readonly caCert: string;
  /** The first configured rule and its first stream. */
  readonly ruleId: string;
  readonly streamName: string;
  /** Rows accepted into a stream (default: the first rule's first stream), in arrival order. */
  received(ruleId?: string, stream?: string): Record<string, unknown>[];
  calls(): IngestCall[];
  counts(): FakeAzureMonitorCounts;
  addRule(ruleId: string, streams: string[]): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Forgets received rows, calls and counts. */
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_STREAM = 'Custom-TspEvents_CL';
const API_VERSIONS = new Set(['2023-01-01', '2021-11-01-preview']);
/** Bytes read from a request before the rest is only counted. */
const READ_CAP = 2 * MAX_CALL_BYTES;

/** A DCR immutable id: dcr- and 32 hex digits. */
export function newRuleId(): string {
  return `dcr-${randomBytes(16).toString('hex')}`;
}

function readBody(req: IncomingMessage): Promise<{ data: Buffer; size: number }> {
  return readCappedBody(req, READ_CAP);
}

function send(res: ServerResponse, reply: Reply | EntraReply): void {
  if (res.destroyed || res.writableEnded) return;
  const extra = 'headers' in reply && reply.headers !== undefined ? reply.headers : {};
  if (reply.body === undefined) {
    res.writeHead(reply.status, { ...requestHeaders(), ...extra });
    res.end();
    return;
  }
  sendJson(res, reply.status, reply.body, { ...requestHeaders(), ...extra }, 'application/json; charset=utf-8');
}

function gunzipCapped(data: Buffer): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    gunzip(data, { maxOutputLength: MAX_CALL_BYTES + 1 }, (err, out) => {
      if (err === null) resolve(out.length > MAX_CALL_BYTES ? 'too-large' : out);
      else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') resolve('too-large');
      else reject(err);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Starts the fake Logs Ingestion API (+ Entra token endpoint) on 127.0.0.1 over https.
 * See index.ts for the protocol it reproduces.
 */
export async function startFakeAzureMonitor(options: FakeAzureMonitorOptions = {}): Promise<FakeAzureMonitor> {
  const tls = options.tls ?? generateLoopbackCertificate();
  const app = fakeAppRegistration(options);
  const entra = new MonitorEntraAuthority(app);
  const rules = new Map<string, Set<string>>();
  for (const [id, streams] of Object.entries(options.rules ?? { [newRuleId()]: [DEFAULT_STREAM] })) rules.set(id, new Set(streams));
  const [firstRule, firstStreams] = [...rules.entries()][0] ?? [newRuleId(), new Set([DEFAULT_STREAM])];
  const firstStream = [...firstStreams][0] ?? DEFAULT_STREAM;
  const faults = new FaultTable();
  for (const r of options.faults ?? []) faults.add(r);
  let stored = new Map<string, Record<string, unknown>[]>();
  let calls: IngestCall[] = [];
  const counts: FakeAzureMonitorCounts = { token: 0, tokenGranted: 0, ingest: 0, accepted: 0 };
  let base = '';

  /** Latency, then the fault's reply; 'gone' when the request must not be answered. */
  async function inject(d: FaultDecision, res: ServerResponse, op: 'token' | 'ingest', ruleId: string): Promise<Reply | EntraReply | 'gone' | undefined> {
    if (d.latencyMs > 0) await sleep(d.latencyMs);
    if (res.destroyed) return 'gone';
    switch (d.fault) {
      case undefined:
        return undefined;
      case 'hang':
        return 'gone';
      case 'drop':
        res.socket?.destroy();
        return 'gone';
      case 'throttle':
        return op === 'token'
          ? { ...entraError(429, 'temporarily_unavailable', 50196, 'The server terminated an operation because it encountered a client request loop.'), headers: { 'retry-after': String(d.retryAfterSeconds) } }
          : throttled(d.retryAfterSeconds);
      case 'unavailable':
        return op === 'token' ? entraError(503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.') : unavailable();
      case 'internal':
        return internalError();
      case 'bad-request':
        return invalidPayload('the data does not match the stream declaration.');
      case 'too-large':
        return tooLarge(MAX_CALL_BYTES + 1);
      case 'unauthorized':
        return invalidToken();
      case 'forbidden':
        return forbidden(ruleId);
      case 'not-found':
        return ruleNotFound(ruleId);
    }
  }

  async function ingest(req: IncomingMessage, res: ServerResponse, url: URL, ruleId: string, stream: string): Promise<void> {
    counts.ingest++;
    const { data, size } = await readBody(req);
    const call: IngestCall = {
      ruleId,
      stream,
      status: 0,
      contentEncoding: req.headers['content-encoding'],
      contentType: req.headers['content-type'],
      wireBytes: size,
      bytes: size,
      rows: 0,
    };
    calls.push(call);
    const answer = (reply: Reply | EntraReply): void => {
      call.status = reply.status;
      send(res, reply);
    };
    if (!API_VERSIONS.has(url.searchParams.get('api-version') ?? '')) return answer(badApiVersion(url.searchParams.get('api-version')));
    const auth = req.headers.authorization;
    if (auth === undefined || !/^Bearer\s+\S+$/i.test(auth)) return answer(missingToken());
    if (entra.verify(auth.replace(/^Bearer\s+/i, '')) === undefined) return answer(invalidToken());
    const injected = await inject(faults.decide('ingest'), res, 'ingest', ruleId);
    if (injected === 'gone') return;
    if (injected !== undefined) return answer(injected);
    const streams = rules.get(ruleId);
    if (streams === undefined) return answer(ruleNotFound(ruleId));
    if (!streams.has(stream)) return answer(streamNotFound(ruleId, stream));
    if (size > MAX_CALL_BYTES) return answer(tooLarge(size));
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return answer(badContentType());
    const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    let text: Buffer;
    if (encoding === 'gzip') {
      let out: Buffer | 'too-large';
      try {
        out = await gunzipCapped(data);
      } catch {
        return answer(invalidPayload('the body is not valid gzip.'));
      }
      if (out === 'too-large') return answer(tooLarge(MAX_CALL_BYTES + 1));
      text = out;
    } else if (encoding === '' || encoding === 'identity') {
      text = data;
    } else {
      return answer(badEncoding(encoding));
    }
    call.bytes = text.length;
    let rows: unknown;
    try {
      rows = JSON.parse(text.toString('utf8'));
    } catch {
      return answer(invalidPayload('the body is not valid JSON.'));
    }
    if (!Array.isArray(rows)) return answer(invalidPayload('the body must be a JSON array of objects.'));
    if (!rows.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) return answer(invalidPayload('every item of the array must be a JSON object.'));
    call.rows = rows.length;
    const key = `${ruleId}/${stream}`;
    const into = stored.get(key) ?? [];
    into.push(...(rows as Record<string, unknown>[]));
    stored.set(key, into);
    counts.accepted += rows.length;
    answer(accepted());
  }

  async function token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    counts.token++;
    const { data } = await readBody(req);
    const injected = await inject(faults.decide('token'), res, 'token', '');
    if (injected === 'gone') return;
    if (injected !== undefined) return send(res, injected);
    const reply = entra.token(tenant, new URLSearchParams(data.toString('utf8')));
    if (reply.status === 200) counts.tokenGranted++;
    send(res, reply);
  }

  async function control(method: string, what: string | undefined, req: IncomingMessage, url: URL): Promise<Reply> {
    const raw = (await readBody(req)).data.toString('utf8');
    if (method === 'GET' && what === 'state') return { status: 200, body: { counts, calls, rules: Object.fromEntries([...rules].map(([k, v]) => [k, [...v]])) } };
    if (method === 'GET' && what === 'received') {
      return { status: 200, body: handle.received(url.searchParams.get('rule') ?? undefined, url.searchParams.get('stream') ?? undefined) };
    }
    if (method === 'POST' && what === 'reset') {
      handle.reset();
      return { status: 204 };
    }
    if (method === 'POST' && what === 'faults') return addValidRule(JSON.parse(raw) as unknown, faultRuleProblems, (rule: FaultRule) => faults.add(rule), 201);
    if (method === 'DELETE' && what === 'faults') {
      faults.clear();
      return { status: 204 };
    }
    return { status: 404, body: { problems: ['unknown control route'] } };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const seg = url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    const method = req.method ?? '';
    if (seg[0] === '_fake') {
      try {
        return send(res, await control(method, seg[1], req, url));
      } catch {
        return send(res, { status: 400, body: { problems: ['invalid control request'] } });
      }
    }
    const endpoint = entraEndpoint(method, seg);
    if (endpoint?.kind === 'openid-configuration') {
      req.resume();
      return send(res, entra.openIdConfiguration(base, endpoint.tenant));
    }
    if (endpoint?.kind === 'token') return token(req, res, endpoint.tenant);
    if (method === 'POST' && seg.length === 4 && seg[0] === 'dataCollectionRules' && seg[2] === 'streams') return ingest(req, res, url, seg[1], seg[3]);
    req.resume();
    send(res, noRoute(method, url.pathname));
  }

  const server = await startLoopbackServer(guardedListener(onRequest, (res) => send(res, internalError()), options.onError), { port: options.port, tls });
  base = server.url;

  const handle: FakeAzureMonitor = {
    ...entraHost(server, app),
    caCert: tls.cert,
    ruleId: firstRule,
    streamName: firstStream,
    received: (ruleId = firstRule, stream = firstStream) => [...(stored.get(`${ruleId}/${stream}`) ?? [])],
    calls: () => calls.map((c) => ({ ...c })),
    counts: () => ({ ...counts }),
    addRule: (ruleId, streams) => rules.set(ruleId, new Set(streams)),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    reset: () => {
      stored = new Map();
      calls = [];
      for (const k of Object.keys(counts) as (keyof FakeAzureMonitorCounts)[]) counts[k] = 0;
    },
    close: () => server.stop(),
  };
  return handle;
}

