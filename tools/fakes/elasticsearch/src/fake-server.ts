import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { actOutSilentFault, ControlRoutes, faultRoutes, guardedListener, LoopbackFake, LoopbackServerOptions, readBody, runControlRoute, startLoopbackServer, writeJsonText } from '@tsp/fake-support';
import { parseBulk } from './bulk-parser';
import { badApiKey, badBasicCredentials, badRequest, clusterBlocked, errorBody, EsError, missingCredentials, rejectedExecution, REALM_HEADER } from './es-errors';
import { EsFault, FaultList, faultProblems } from './faults';
import { BulkOutcome, DocumentStore, runBulk, StoredDocument } from './document-store';

export interface FakeElasticsearchOptions extends LoopbackServerOptions {
  /** API keys accepted (`Authorization: ApiKey base64(id:key)`); one is generated when neither keys nor users are given. */
  apiKeys?: readonly { id: string; key: string }[];
  /** Basic users accepted. */
  users?: readonly { username: string; password: string }[];
  /** Ingest pipelines that exist; any name is accepted when omitted. */
  pipelines?: readonly string[];
  /** http.max_content_length: larger bodies get 413 (default 100 MB, as Elasticsearch). */
  maxContentLength?: number;
  latencyMs?: number;
  faults?: readonly EsFault[];
}

/** One _bulk request as the fake saw it (credentials reduced to the principal). */
export interface ReceivedBulkRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  /** 'ApiKey <id>', 'Basic <username>' or 'none'. */
  principal: string;
  body: string;
  status: number;
}

export interface FakeElasticsearch extends LoopbackFake {
  /** The generated API key, encoded as Elasticsearch returns it (base64 of id:key), when one was generated. */
  encodedApiKey: string | undefined;
  /** Stored documents in arrival order (of one index when given). */
  documents(index?: string): StoredDocument[];
  requests(): ReceivedBulkRequest[];
  addFault(fault: EsFault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
}

const DEFAULT_MAX_CONTENT = 100 * 1024 * 1024;
const BULK_PARAMS = ['pipeline', 'refresh', 'routing', 'timeout', 'wait_for_active_shards', 'require_alias', 'require_data_stream', '_source', 'filter_path', 'pretty', 'error_trace', 'human'];

/** Every answer of the fake, control API included, carries X-Elastic-Product as Elasticsearch's do. */
function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  writeJsonText(res, status, body, { 'x-elastic-product': 'Elasticsearch', ...headers });
}

/**
 * A loopback fake of the Elasticsearch `_bulk` API (POST|PUT /_bulk and /{index}/_bulk) with
 * API key and basic authentication, strict NDJSON parsing, documents stored per index and _id
 * (so `create` of an existing _id is a real 409 version_conflict_engine_exception), the real
 * answer shapes, fault and latency injection. Control API (no auth, loopback only):
 * GET /_fake/documents[?index=], POST /_fake/faults {fault}, DELETE /_fake/faults, PUT /_fake/latency {ms}.
 */
export async function startFakeElasticsearch(options: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  let encodedApiKey: string | undefined;
  const apiKeys = [...(options.apiKeys ?? [])];
  const users = [...(options.users ?? [])];
  if (apiKeys.length === 0 && users.length === 0) {
    const generated = { id: randomBytes(10).toString('base64url'), key: randomBytes(16).toString('base64url') };
    apiKeys.push(generated);
    encodedApiKey = Buffer.from(`${generated.id}:${generated.key}`).toString('base64');
  }
  const store = new DocumentStore();
  const faults = new FaultList();
  for (const f of options.faults ?? []) faults.add(f);
  let latencyMs = options.latencyMs ?? 0;
  const maxContent = options.maxContentLength ?? DEFAULT_MAX_CONTENT;
  const requests: ReceivedBulkRequest[] = [];

  /** The principal when the Authorization header is valid; an EsError otherwise. */
  const authenticate = (header: string | undefined, uri: string): string | EsError => {
    if (header === undefined || header === '') return missingCredentials(uri);
    const [scheme, value = ''] = header.split(' ', 2) as [string, string | undefined];
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [left, right] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    if (scheme === 'ApiKey') return apiKeys.some((k) => k.id === left && k.key === right) ? `ApiKey ${left}` : badApiKey();
    if (scheme === 'Basic') return users.some((u) => u.username === left && u.password === right) ? `Basic ${left}` : badBasicCredentials(left, uri);
    return missingCredentials(uri);
  };

  const control = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const routes: ControlRoutes = {
      'GET /_fake/documents': () => ({ status: 200, body: { documents: store.list(url.searchParams.get('index') ?? undefined) } }),
      ...faultRoutes(faults, faultProblems, (ms) => {
        latencyMs = ms;
      }),
    };
    const answer = (await runControlRoute(req, url.pathname, routes, 1024 * 1024)) ?? { status: 404, body: { problems: ['unknown control path'] } };
    send(res, answer.status, JSON.stringify(answer.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/_fake/')) return control(req, res, url);
    const declared = Number(req.headers['content-length'] ?? '0');
    const body = declared > maxContent ? 'too-large' : await readBody(req, maxContent);
    const fault = url.pathname.endsWith('/_bulk') ? faults.next() : undefined;
    if (actOutSilentFault(fault?.kind, req) !== undefined) return; // stop() closes a hung request
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const uri = req.url ?? '/';
    const principal = authenticate(req.headers['authorization'], uri);
    const record = (status: number): void => {
      if (!url.pathname.endsWith('/_bulk')) return;
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        principal: typeof principal === 'string' ? principal : 'none',
        body: body === 'too-large' ? '' : body.toString('utf8'),
        status,
      });
    };
    const error = (status: number, e: EsError, headers: Record<string, string> = {}): void => {
      record(status);
      send(res, status, errorBody(status, e), headers);
    };
    if (body === 'too-large' || fault?.kind === 'too-large') {
      record(413);
      res.writeHead(413, { 'content-length': 0, connection: 'close' });
      return void res.end();
    }
    if (typeof principal !== 'string') return error(401, principal, { 'www-authenticate': REALM_HEADER });
    const m = /^\/(?:([^/_][^/]*)\/)?_bulk$/.exec(url.pathname);
    if (m === null) return send(res, 400, JSON.stringify({ error: `no handler found for uri [${uri}] and method [${req.method ?? ''}]`, status: 400 }));
    if (req.method !== 'POST' && req.method !== 'PUT') {
      return send(res, 405, JSON.stringify({ error: `Incorrect HTTP method for uri [${uri}] and method [${req.method ?? ''}], allowed: [POST, PUT]`, status: 405 }), { allow: 'POST,PUT' });
    }
    if (fault?.kind === 'unavailable') return error(503, clusterBlocked());
    if (fault?.kind === 'throttle') {
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return error(429, rejectedExecution('bulk request'), headers);
    }
    for (const p of url.searchParams.keys()) {
      if (!BULK_PARAMS.includes(p)) return error(400, badRequest('illegal_argument_exception', `request [${url.pathname}] contains unrecognized parameter: [${p}]`));
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType === '') {
      record(406);
      return send(res, 406, JSON.stringify({ error: 'Content-Type header is missing', status: 406 }));
    }
    if (!['application/x-ndjson', 'application/json'].includes(contentType)) {
      record(406);
      return send(res, 406, JSON.stringify({ error: `Content-Type header [${req.headers['content-type'] ?? ''}] is not supported`, status: 406 }));
    }
    const parsed = parseBulk(body.toString('utf8'));
    if (!parsed.ok) return error(400, badRequest(parsed.type, parsed.reason));
    const started = Date.now();
    const outcome: BulkOutcome = runBulk(store, parsed.items, {
      defaultIndex: m[1] === undefined ? undefined : decodeURIComponent(m[1]),
      defaultPipeline: url.searchParams.get('pipeline') ?? undefined,
      pipelines: options.pipelines,
      fault: fault?.kind === 'items' ? fault : undefined,
    });
    if (outcome.validation !== undefined) return error(400, outcome.validation);
    record(200);
    send(res, 200, JSON.stringify({ took: Date.now() - started, errors: outcome.errors, items: outcome.items }));
  };

  const server = await startLoopbackServer(
    guardedListener(handle, (res) => send(res, 500, errorBody(500, { type: 'exception', reason: 'fake internal error' }))),
    options,
  );
  return {
    url: server.url,
    port: server.port,
    encodedApiKey,
    documents: (index) => store.list(index),
    requests: () => [...requests],
    addFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    stop: () => server.stop(),
  };
}
