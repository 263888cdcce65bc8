import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SigV4Credential, verifySigV4 } from '@tsp/fake-aws-kms';
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

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType = 'application/x-amz-json-1.1'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
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

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    const record: CwlRequestRecord = { operation, outcome: 'ok', status: 200, events: 0, accessKeyId: undefined };
    log.push(record);
    const fail = (e: CwlError): void => {
      record.outcome = e.errorName;
      record.status = e.status;
      send(res, e.status, e.body());
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
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    const t = decision.terminal;
    if (t?.type === 'hang') {
      record.outcome = 'hung';
      record.status = undefined;
      return;
    }
    if (t?.type === 'drop') {
      record.outcome = 'dropped';
      record.status = undefined;
      req.socket.destroy();
      return;
    }
    if (t?.type === 'error') return fail(new CwlError(t.error, t.message ?? defaultCwlMessage(t.error, operation), t.status));
    try {
      if (operation === 'PutLogEvents') return send(res, 200, JSON.stringify(store.put(input)));
      if (operation === 'CreateLogStream') {
        const { group, stream } = LogStore.namesOf(input);
        store.createStream(group, stream);
      } else store.createGroup(LogStore.groupOf(input));
      return send(res, 200, '');
    } catch (e) {
      if (e instanceof CwlError) return fail(e);
      return fail(new CwlError('ServiceUnavailableException', 'The service cannot complete the request.'));
    }
  }

  function handleControl(req: IncomingMessage, res: ServerResponse, path: string): void {
    const json = (status: number, v: unknown): void => send(res, status, JSON.stringify(v), 'application/json');
    const route = `${req.method} ${path}`;
    if (route === 'GET /__fake/health') return json(200, { ok: true });
    if (route === 'GET /__fake/groups') return json(200, store.listGroups());
    if (route === 'GET /__fake/events') return json(200, store.allEvents());
    if (route === 'DELETE /__fake/faults') {
      faults.clear();
      return json(200, {});
    }
    if (route === 'POST /__fake/faults') {
      void readBody(req).then((b) => {
        try {
          const rule = JSON.parse((b ?? Buffer.alloc(0)).toString('utf8')) as CwlFaultRule;
          const a = rule?.action;
          const ok = a !== undefined && (['drop', 'hang'].includes(a.type) || (a.type === 'latency' && typeof a.ms === 'number') || (a.type === 'error' && isCwlErrorName(a.error)));
          if (!ok) throw new Error('bad rule');
          faults.add(rule);
          json(200, {});
        } catch {
          json(400, { error: 'expected {"operation"?, "times"?, "action": {"type": "error"|"drop"|"hang"|"latency", ...}}' });
        }
      });
      return;
    }
    json(404, { error: 'not found' });
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/__fake/')) return handleControl(req, res, path);
    handleApi(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ __type: 'InternalFailure', message: 'internal error' }));
    });
  });
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
    url: `http://127.0.0.1:${port}`,
    port,
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
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        log = [];
      }),
  };
}
