import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendAwsJson, SigV4Credential, verifySigV4 } from '@tsp/fake-aws-kms';
import { actOutSilentFault, ControlRoutes, guardedListener, LatencyTimers, readBody as readCapped, runControlRoute, startLoopbackServer } from '@tsp/fake-support';
import { CwlError, defaultCwlMessage, isCwlErrorName } from './cwl-errors';
import { CwlFaultRule, CwlFaultTable } from './faults';
import { LogStore, StoredLogEvent } from './log-store';

/**
 * A loopback fake of Amazon CloudWatch Logs over its real protocol: AWS JSON 1.1, POST / with
 * `X-Amz-Target: Logs_20140328.<Action>` (PutLogEvents, CreateLogStream, CreateLogGroup),
 * SigV4 verified for service `logs` against the configured credentials (the verifier of
 * @tsp/fake-aws-kms), AWS error bodies and statuses, the PutLogEvents rules in log-store.ts.
 * Control API: GET /__fake/health, GET /__fake/groups, GET /__fake/events, POST|DELETE /__fake/faults.
 */
export interface FakeCloudWatchLogsOptions {
  /** 0 (default): any free port. Always bound to 127.0.0.1. */
  port?: number;
  region?: string;
  credentials: SigV4Credential[];
  /** Groups (with their streams) that exist from the start. */
  groups?: { name: string; retentionInDays?: number; streams?: string[] }[];
  /**
   * Clock of the event age rules (2 hours ahead, 14 days, retention), ms; default Date.now.
   * SigV4 always uses the real clock. Lets tests replay events recorded long ago.
   */
  eventClock?: () => number;
  faults?: CwlFaultRule[];
}

export interface CwlRequestRecord {
  operation: string;
  /** 'ok', the AWS error name answered, 'dropped' or 'hung'. */
  outcome: string;
  status: number | undefined;
  events: number;
  accessKeyId: string | undefined;
}

export interface FakeCloudWatchLogs {
  readonly url: string;
  readonly port: number;
  readonly region: string;
  /** Stored events of one stream. */
  events(group: string, stream: string): StoredLogEvent[];
  /** Every stored message parsed as JSON (delivered events), arrival order per stream. */
  received(): Record<string, unknown>[];
  createGroup(name: string, retentionInDays?: number): void;
  createStream(group: string, stream: string): void;
  requests(): CwlRequestRecord[];
  addFault(rule: CwlFaultRule): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'Logs_20140328.';
const MAX_BODY = 8 * 1024 * 1024;

/** The body, or undefined over MAX_BODY bytes. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const raw = await readCapped(req, MAX_BODY);
  return raw === 'too-large' ? undefined : raw;
}


export async function startFakeCloudWatchLogs(options: FakeCloudWatchLogsOptions): Promise<FakeCloudWatchLogs> {
  const region = options.region ?? 'us-east-1';
  const store = new LogStore(options.eventClock ?? Date.now);
  for (const g of options.groups ?? []) {
    store.createGroup(g.name, g.retentionInDays);
    for (const s of g.streams ?? []) store.createStream(g.name, s);
  }
  const faults = new CwlFaultTable();
  for (const f of options.faults ?? []) faults.add(f);
  let log: CwlRequestRecord[] = [];
  const timers = new LatencyTimers();

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    const record: CwlRequestRecord = { operation, outcome: 'ok', status: 200, events: 0, accessKeyId: undefined };
    log.push(record);
    const fail = (e: CwlError): void => {
      record.outcome = e.errorName;
      record.status = e.status;
      sendAwsJson(res, e.status, e.body());
    };
    if (body === undefined) return fail(new CwlError('InvalidParameterException', 'Request body too large.'));
    const auth = verifySigV4({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, { service: 'logs', region, credentials: options.credentials });
    if (!auth.ok) return fail(new CwlError(auth.error, auth.message));
    record.accessKeyId = auth.credential.accessKeyId;
    if (req.method !== 'POST' || !['PutLogEvents', 'CreateLogStream', 'CreateLogGroup'].includes(operation)) {
      return fail(new CwlError('UnknownOperationException', ''));
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      return fail(new CwlError('SerializationException', 'Content-Type must be application/x-amz-json-1.1'));
    }
    let input: Record<string, unknown>;
    try {
      const v = JSON.parse(body.toString('utf8')) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      input = v as Record<string, unknown>;
    } catch {
      return fail(new CwlError('SerializationException', 'Start of structure or map found where not expected.'));
    }
    if (Array.isArray(input['logEvents'])) record.events = input['logEvents'].length;
    const decision = faults.decide(operation);
    if (decision.latencyMs > 0) await timers.sleep(decision.latencyMs);
    const t = decision.terminal;
    const silent = actOutSilentFault(t?.type, req);
    if (silent !== undefined) {
      record.outcome = silent;
      record.status = undefined;
      return;
    }
    if (t?.type === 'error') return fail(new CwlError(t.error, t.message ?? defaultCwlMessage(t.error, operation), t.status));
    try {
      if (operation === 'PutLogEvents') return sendAwsJson(res, 200, JSON.stringify(store.put(input)));
      if (operation === 'CreateLogStream') {
        const { group, stream } = LogStore.namesOf(input);
        store.createStream(group, stream);
      } else store.createGroup(LogStore.groupOf(input));
      return sendAwsJson(res, 200, '');
    } catch (e) {
      if (e instanceof CwlError) return fail(e);
      return fail(new CwlError('ServiceUnavailableException', 'The service cannot complete the request.'));
    }
  }

  const controlRoutes: ControlRoutes = {
    'GET /__fake/health': () => ({ status: 200, body: { ok: true } }),
    'GET /__fake/groups': () => ({ status: 200, body: store.listGroups() }),
    'GET /__fake/events': () => ({ status: 200, body: store.allEvents() }),
    'DELETE /__fake/faults': () => {
      faults.clear();
      return { status: 200, body: {} };
    },
    'POST /__fake/faults': async (r) => {
      const rule = (await r.json()) as CwlFaultRule | null | undefined;
      const a = rule?.action;
      const ok = typeof a === 'object' && a !== null && (['drop', 'hang'].includes(a.type) || (a.type === 'latency' && typeof a.ms === 'number') || (a.type === 'error' && isCwlErrorName(a.error)));
      if (rule === null || rule === undefined || !ok) return { status: 400, body: { error: 'expected {"operation"?, "times"?, "action": {"type": "error"|"drop"|"hang"|"latency", ...}}' } };
      faults.add(rule);
      return { status: 200, body: {} };
    },
  };

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const answer = (await runControlRoute(req, path, controlRoutes, MAX_BODY)) ?? { status: 404, body: { error: 'not found' } };
    sendAwsJson(res, answer.status, JSON.stringify(answer.body), 'application/json');
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    return path.startsWith('/__fake/') ? handleControl(req, res, path) : handleApi(req, res);
  };
  const server = await startLoopbackServer(
    guardedListener(handle, (res) => sendAwsJson(res, 500, JSON.stringify({ __type: 'InternalFailure', message: 'internal error' }))),
    { port: options.port },
  );

  return {
    url: server.url,
    port: server.port,
    region,
    events: (g, s) => store.events(g, s),
    received: () =>
      store.allEvents().map((e) => {
        try {
          return JSON.parse(e.message) as Record<string, unknown>;
        } catch {
          return { message: e.message };
        }
      }),
    createGroup: (name, retention) => store.createGroup(name, retention),
    createStream: (g, s) => store.createStream(g, s),
    requests: () => log.map((r) => ({ ...r })),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    stop: () => {
      timers.clear();
      const stopped = server.stop();
      log = [];
      return stopped;
    },
  };
}
