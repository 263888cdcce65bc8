import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { actOutSilentFault, ControlRoutes, faultRoutes, guardedListener, LoopbackFake, LoopbackServerOptions, readBody, receivedRoutes, runControlRoute, sendJson, startLoopbackServer, writeJsonText } from '@tsp/fake-support';
import { DatadogFault, FaultList, faultProblems } from './faults';
import { MAX_PAYLOAD_BYTES, readPayload, StoredLog } from './intake-payload';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface FakeDatadogOptions extends LoopbackServerOptions {
  /** API keys accepted in DD-API-KEY; one is generated when omitted. */
  apiKeys?: readonly string[];
  latencyMs?: number;
  faults?: readonly DatadogFault[];
}

/** One intake request as the fake saw it (the API key reduced to whether it was valid). */
export interface ReceivedIntakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** 'valid', 'invalid' or 'missing'. */
  apiKey: 'valid' | 'invalid' | 'missing';
  /** Bytes on the wire (compressed when Content-Encoding was set). */
  wireBytes: number;
  /** The uncompressed body, when it could be decoded. */
  body: string | undefined;
  status: number;
}

export interface FakeDatadog extends LoopbackFake {
  /** The API key accepted (the first one, or the generated one). */
  apiKey: string;
  /** Logs accepted so far, in arrival order. */
  received(): StoredLog[];
  requests(): ReceivedIntakeRequest[];
  addFault(fault: DatadogFault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
}

/** Datadog's log intake error body (HTTPLogErrors). */
function logErrors(status: number, title: string, detail: string): string {
  return JSON.stringify({ errors: [{ status: String(status), title, detail }] });
}


/**
 * A loopback fake of the Datadog Logs intake, POST /api/v2/logs: DD-API-KEY checked (401
 * missing, 403 invalid), gzip/deflate bodies, the documented limits (5 MB uncompressed → 413,
 * 1000 entries, logs over 1 MB truncated and accepted), 202 {} on success, fault and latency
 * injection. Control API (no auth, loopback only): GET /_fake/received, POST /_fake/faults
 * {fault}, DELETE /_fake/faults, PUT /_fake/latency {ms}.
 */
export async function startFakeDatadog(options: FakeDatadogOptions = {}): Promise<FakeDatadog> {
  const apiKeys = options.apiKeys !== undefined && options.apiKeys.length > 0 ? [...options.apiKeys] : [randomBytes(16).toString('hex')];
  const faults = new FaultList();
  for (const f of options.faults ?? []) faults.add(f);
  let latencyMs = options.latencyMs ?? 0;
  const logs: StoredLog[] = [];
  const requests: ReceivedIntakeRequest[] = [];

  const controlRoutes: ControlRoutes = {
    ...receivedRoutes('logs', () => logs),
    ...faultRoutes(faults, faultProblems, (ms) => {
      latencyMs = ms;
    }),
  };
  const control = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const answer = (await runControlRoute(req, path, controlRoutes, 1024 * 1024)) ?? { status: 404, body: { problems: ['unknown control path'] } };
    sendJson(res, answer.status, answer.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/_fake/')) return control(req, res, url.pathname);
    // Compressed bodies may not be larger than the uncompressed limit either.
    const wire = await readBody(req, MAX_PAYLOAD_BYTES);
    if (url.pathname !== '/api/v2/logs') return writeJsonText(res, 404, JSON.stringify({ errors: ['Not found'] }));
    if (req.method !== 'POST') return writeJsonText(res, 405, JSON.stringify({ errors: ['Method Not Allowed'] }), { allow: 'POST' });
    const fault = faults.next();
    if (actOutSilentFault(fault?.kind, req) !== undefined) return; // stop() closes a hung request
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const keyHeader = req.headers['dd-api-key'];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    const apiKey: ReceivedIntakeRequest['apiKey'] = key === undefined || key === '' ? 'missing' : apiKeys.includes(key) ? 'valid' : 'invalid';
    const encoding = req.headers['content-encoding']?.toLowerCase();
    const entry: ReceivedIntakeRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      contentEncoding: encoding,
      apiKey,
      wireBytes: wire === 'too-large' ? -1 : wire.length,
      body: undefined,
      status: 0,
    };
    requests.push(entry);
    const answer = (status: number, body: string, headers: Record<string, string> = {}): void => {
      entry.status = status;
      writeJsonText(res, status, body, headers);
    };
    if (apiKey === 'missing') return answer(401, JSON.stringify({ errors: ['Unauthorized'] }));
    if (apiKey === 'invalid') return answer(403, JSON.stringify({ errors: ['Forbidden'] }));
    if (fault?.kind === 'throttle') {
      const reset = String(fault.retryAfterSeconds ?? 1);
      const headers: Record<string, string> = {
        'x-ratelimit-limit': '1000',
        'x-ratelimit-period': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': reset,
        'x-ratelimit-name': 'logs_intake',
        ...(fault.rateLimitHeadersOnly === true ? {} : { 'retry-after': reset }),
      };
      return answer(429, logErrors(429, 'Too Many Requests', 'rate limit exceeded'), headers);
    }
    if (fault?.kind === 'unavailable') return answer(503, logErrors(503, 'Service Unavailable', 'intake temporarily unavailable'));
    if (fault?.kind === 'error') return answer(500, logErrors(500, 'Internal Server Error', 'internal error'));
    if (fault?.kind === 'timeout') return answer(408, logErrors(408, 'Request Timeout', 'request timed out'));
    if (fault?.kind === 'bad-request') return answer(400, logErrors(400, 'Bad Request', 'Malformed payload'));
    if (wire === 'too-large') return answer(413, logErrors(413, 'Payload Too Large', 'payload above 5MB'));
    let text: string;
    try {
      if (encoding === undefined || encoding === 'identity') text = wire.toString('utf8');
      else if (encoding === 'gzip') text = (await gunzipAsync(wire, { maxOutputLength: MAX_PAYLOAD_BYTES + 1 })).toString('utf8');
      else if (encoding === 'deflate') text = (await inflateAsync(wire, { maxOutputLength: MAX_PAYLOAD_BYTES + 1 })).toString('utf8');
      else return answer(400, logErrors(400, 'Bad Request', 'unsupported Content-Encoding'));
    } catch (e) {
      const tooLarge = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return tooLarge ? answer(413, logErrors(413, 'Payload Too Large', 'payload above 5MB uncompressed')) : answer(400, logErrors(400, 'Bad Request', 'Malformed payload'));
    }
    entry.body = text;
    if ((req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() !== 'application/json') {
      return answer(400, logErrors(400, 'Bad Request', 'the fake accepts application/json payloads only'));
    }
    const payload = readPayload(text, url.searchParams);
    if (!payload.ok) return answer(payload.status, logErrors(payload.status, payload.status === 413 ? 'Payload Too Large' : 'Bad Request', payload.detail));
    logs.push(...payload.logs);
    answer(202, '{}');
  };

  const server = await startLoopbackServer(
    guardedListener(handle, (res) => writeJsonText(res, 500, logErrors(500, 'Internal Server Error', 'fake internal error'))),
    options,
  );
  return {
    url: server.url,
    port: server.port,
    apiKey: apiKeys[0],
    received: () => [...logs],
    requests: () => [...requests],
    addFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    stop: () => server.stop(),
  };
}
