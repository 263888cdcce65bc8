import type { IncomingMessage, ServerResponse } from 'node:http';
import { guardedListener, LatencyTimers, readBodyOrDestroy, startLoopbackServer } from '@tsp/fake-support';
import { sendAwsJson } from './aws-json-answer';
import { AwsKmsError, defaultMessage } from './aws-errors';
import { FakeKeyInfo, FakeKeySpec, FakeKeyState, FakeKeyStore } from './fake-keys';
import { ActiveFault, FaultRule, FaultTable } from './faults';
import { execute, isKmsOperation, keyOfRequest } from './kms-operations';
import { SigV4Credential, verifySigV4 } from './sigv4';
import { schemaErrorText, validateCredentials, validateFaultRule, validateKeySpec, validateKeyState } from './control-schemas';

/**
 * A loopback fake of AWS KMS (JSON 1.1 protocol: POST /, X-Amz-Target TrentService.<Action>,
 * SigV4 verified against the configured credentials), plus a control API under /__fake/.
 * node:http rather than fastify: the fake must be able to destroy a socket mid-request and
 * read the exact bytes that were signed.
 */
export interface FakeAwsKmsOptions {
  /** 0 (default): any free port. Always bound to 127.0.0.1. */
  port?: number;
  region?: string;
  accountId?: string;
  credentials: SigV4Credential[];
  keys?: FakeKeySpec[];
  faults?: FaultRule[];
}

export interface FakeRequestRecord {
  operation: string;
  keyId: string | undefined;
  accessKeyId: string | undefined;
  /** 'ok', the AWS error name answered, or 'dropped'. */
  outcome: string;
  status: number | undefined;
  /** The client's port: requests on one kept-alive connection share it. */
  remotePort: number | undefined;
}

export interface FakeAwsKms {
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  keys(): FakeKeyInfo[];
  putKey(spec: FakeKeySpec): FakeKeyInfo;
  setKeyState(key: string, state: FakeKeyState): FakeKeyInfo;
  setCredentials(credentials: SigV4Credential[]): void;
  addFault(rule: FaultRule): string;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): ActiveFault[];
  /** KMS requests seen (control API calls excluded), oldest first. */
  requests(): FakeRequestRecord[];
  clearRequests(): void;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const TARGET_PREFIX = 'TrentService.';


export async function startFakeAwsKms(options: FakeAwsKmsOptions): Promise<FakeAwsKms> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const store = new FakeKeyStore(region, accountId);
  for (const k of options.keys ?? []) store.put(k);
  const faults = new FaultTable((ref) => store.resolve(ref)?.keyId);
  for (const f of options.faults ?? []) faults.add(f);
  let credentials = [...options.credentials];
  let log: FakeRequestRecord[] = [];
  const timers = new LatencyTimers();

  const api: Omit<FakeAwsKms, 'url' | 'port' | 'stop'> = {
    region,
    accountId,
    keys: () => store.list(),
    putKey: (spec) => store.put(spec),
    setKeyState(key, state) {
      const k = store.resolve(key);
      if (k === undefined) throw new Error('no such key');
      return store.put({ keyId: k.keyId, state });
    },
    setCredentials(c) {
      credentials = [...c];
    },
    addFault: (rule) => faults.add(rule),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    requests: () => log.map((r) => ({ ...r })),
    clearRequests() {
      log = [];
    },
  };

  async function handleKms(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    const record: FakeRequestRecord = { operation, keyId: undefined, accessKeyId: undefined, outcome: 'ok', status: 200, remotePort: req.socket.remotePort };
    log.push(record);
    const fail = (e: AwsKmsError): void => {
      record.outcome = e.errorName;
      record.status = e.status;
      sendAwsJson(res, e.status, e.body());
    };
    const auth = verifySigV4({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, { service: 'kms', region, credentials });
    if (!auth.ok) return fail(new AwsKmsError(auth.error, auth.message));
    record.accessKeyId = auth.credential.accessKeyId;
    if (!isKmsOperation(operation)) return fail(new AwsKmsError('UnknownOperationException', ''));
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      return fail(new AwsKmsError('SerializationException', 'Content-Type must be application/x-amz-json-1.1'));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(new AwsKmsError('SerializationException', 'Start of structure or map found where not expected.'));
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail(new AwsKmsError('SerializationException', 'Start of structure or map found where not expected.'));
    const input = parsed as Record<string, unknown>;
    record.keyId = keyOfRequest(operation, input, store);
    const decision = faults.decide({ operation, keyId: record.keyId, accessKeyId: record.accessKeyId });
    if (decision.latencyMs > 0) await timers.sleep(decision.latencyMs);
    if (decision.terminal?.type === 'drop') {
      record.outcome = 'dropped';
      record.status = undefined;
      req.socket.destroy();
      return;
    }
    if (decision.terminal?.type === 'error') {
      const t = decision.terminal;
      const arn = record.keyId === undefined ? undefined : store.resolve(record.keyId)?.arn;
      return fail(new AwsKmsError(t.error, t.message ?? defaultMessage(t.error, operation, arn, accountId), t.status));
    }
    try {
      sendAwsJson(res, 200, JSON.stringify(execute(operation, input, store)));
    } catch (e) {
      if (e instanceof AwsKmsError) return fail(e);
      return fail(new AwsKmsError('KMSInternalException', 'An internal error occurred.'));
    }
  }

  function parseJson(body: Buffer): unknown {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
  }

  function handleControl(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const json = (status: number, value: unknown): void => sendAwsJson(res, status, JSON.stringify(value), 'application/json');
    const path = (req.url ?? '').split('?')[0];
    const route = `${req.method} ${path}`;
    const input = parseJson(body);
    try {
      switch (route) {
        case 'GET /__fake/health':
          return json(200, { ok: true });
        case 'GET /__fake/keys':
          return json(200, store.list());
        case 'POST /__fake/keys':
          if (!validateKeySpec(input)) return json(400, { error: schemaErrorText(validateKeySpec.errors) });
          return json(200, store.put(input));
        case 'POST /__fake/keys/state':
          if (!validateKeyState(input)) return json(400, { error: schemaErrorText(validateKeyState.errors) });
          return json(200, api.setKeyState(input.key, input.state));
        case 'GET /__fake/faults':
          return json(200, faults.list());
        case 'POST /__fake/faults':
          if (!validateFaultRule(input)) return json(400, { error: schemaErrorText(validateFaultRule.errors) });
          return json(200, { id: faults.add(input) });
        case 'DELETE /__fake/faults':
          faults.clear();
          return json(200, { ok: true });
        case 'GET /__fake/requests':
          return json(200, api.requests());
        case 'DELETE /__fake/requests':
          api.clearRequests();
          return json(200, { ok: true });
        case 'PUT /__fake/credentials':
          if (!validateCredentials(input)) return json(400, { error: schemaErrorText(validateCredentials.errors) });
          credentials = [...input];
          return json(200, { ok: true });
        default:
          if (req.method === 'DELETE' && path?.startsWith('/__fake/faults/')) return json(faults.remove(path.slice(15)) ? 200 : 404, {});
          return json(404, { error: 'no such control route' });
      }
    } catch (e) {
      return json(400, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBodyOrDestroy(req, MAX_BODY);
    if ((req.url ?? '').startsWith('/__fake/')) return handleControl(req, res, body);
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/') {
      return sendAwsJson(res, 404, JSON.stringify({ __type: 'UnknownOperationException' }));
    }
    return handleKms(req, res, body);
  };
  const server = await startLoopbackServer(
    guardedListener(handle, (res) => sendAwsJson(res, 500, JSON.stringify({ __type: 'KMSInternalException', message: 'An internal error occurred.' }))),
    { port: options.port },
  );
  return {
    ...api,
    url: server.url,
    port: server.port,
    stop: () => {
      timers.clear();
      return server.stop();
    },
  };
}
