import type { IncomingMessage, ServerResponse } from 'node:http';
import { delayUnlessClosed, guardedListener, parseJsonLenient, readBody as readLimited, startLoopbackServer } from '@tsp/fake-support';
import { FakeControl, handleControl } from './control-api';
import { Fault, FaultPlan, FaultTarget } from './faults';
import { faultReply, unauthenticated, type ErrorFault } from './google-errors';
import { KeyStore, VersionState } from './key-store';
import { handleKmsCall, KmsMethod } from './kms-handler';
import { googleHost, GoogleHost } from './google-host';
import { sendGoogleJson as sendJson } from './google-json-answer';
import { TokenAuthority } from './oauth';
import { enrollServiceAccounts, ServiceAccountPublicKey } from './service-accounts';

export type { FakeServiceAccount } from './google-host';

export interface FakeGcpKmsOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** CryptoKey names (projects/P/locations/L/keyRings/R/cryptoKeys/K) created at start. */
  keys?: string[];
  /** Service accounts the token endpoint accepts, by public key. Without any, one is generated. */
  serviceAccounts?: ServiceAccountPublicKey[];
  /** Latency added to every KMS request, ms. */
  latencyMs?: number;
  /** Faults in place from the start (per key, or for the first N requests). */
  faults?: Array<{ fault: Fault } & FaultTarget>;
  /** Lifetime of the access tokens the token endpoint issues, seconds (default 3600). */
  tokenLifetimeSeconds?: number;
}

export interface FakeStats {
  kmsRequests: number;
  encryptRequests: number;
  decryptRequests: number;
  dropped: number;
  /** Requests whose client went away before the answer (e.g. it hit its deadline). */
  abandoned: number;
  tokenRequests: number;
  tokensIssued: number;
}

/** `url` is the `endpoint` of a gcp KMS config. */
export interface FakeGcpKms extends FakeControl, GoogleHost {
  stats(): FakeStats;
}

const KMS_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(encrypt|decrypt)$/;
const MAX_BODY = 1024 * 1024;
const ERROR_FAULTS: readonly Fault[] = ['unauthenticated', 'permission-denied', 'not-found', 'disabled', 'throttle', 'billing-disabled', 'service-disabled', 'unavailable'];

/** The body; undefined when over MAX_BODY bytes or when the request failed. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return readLimited(req, MAX_BODY).then(
    (raw) => (raw === 'too-large' ? undefined : raw),
    () => undefined,
  );
}

/** The body as a JSON object (an empty body is {}); undefined when it is not one. */
function parseObject(raw: Buffer): Record<string, unknown> | undefined {
  const v = parseJsonLenient(raw.toString('utf8'), {});
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Starts the fake Cloud KMS (REST) and its OAuth token endpoint on 127.0.0.1. */
export async function startFakeGcpKms(options: FakeGcpKmsOptions = {}): Promise<FakeGcpKms> {
  const store = new KeyStore();
  for (const k of options.keys ?? []) store.add(k);
  const plan = new FaultPlan();
  if (options.latencyMs !== undefined) plan.setLatency(options.latencyMs);
  for (const f of options.faults ?? []) plan.inject(f.fault, f);
  let port = 0;
  const origins = (): string[] => [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  const oauth = new TokenAuthority(() => origins().map((o) => `${o}/token`), options.tokenLifetimeSeconds);
  const generated = enrollServiceAccounts(oauth, options.serviceAccounts ?? [], 'tsp-fake@fake-project.iam.gserviceaccount.com');
  const counters = { kmsRequests: 0, encryptRequests: 0, decryptRequests: 0, dropped: 0, abandoned: 0 };

  async function kms(req: IncomingMessage, res: ServerResponse, key: string, method: KmsMethod, raw: Buffer): Promise<void> {
    counters.kmsRequests++;
    counters[method === 'encrypt' ? 'encryptRequests' : 'decryptRequests']++;
    const { fault, latencyMs } = plan.next(key);
    if (latencyMs > 0) await delayUnlessClosed(latencyMs, res);
    if (res.destroyed || req.socket.destroyed) {
      counters.abandoned++;
      return;
    }
    if (fault === 'drop') {
      counters.dropped++;
      req.socket.destroy();
      return;
    }
    if (oauth.authenticate(req.headers.authorization) === undefined) {
      const r = unauthenticated();
      return sendJson(res, r.httpStatus, r.body, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    }
    if (fault !== undefined && ERROR_FAULTS.includes(fault)) {
      const r = faultReply(fault as ErrorFault, key, `cloudkms.cryptoKeyVersions.useTo${method === 'encrypt' ? 'Encrypt' : 'Decrypt'}`);
      return sendJson(res, r.httpStatus, r.body);
    }
    const body = parseObject(raw);
    if (body === undefined) return sendJson(res, 400, { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
    const enumInt = new URL(req.url ?? '/', 'http://x').searchParams.get('$alt')?.includes('enum-encoding=int') ?? false;
    const corruption = fault === 'bad-crc' || fault === 'unverified-crc' ? fault : undefined;
    const r = handleKmsCall(store, method, key, body, enumInt, corruption);
    sendJson(res, r.httpStatus, r.body);
  }

  const control = {
    inject: (fault: Fault, target?: FaultTarget) => plan.inject(fault, target),
    clearFaults: (key?: string) => plan.clear(key),
    setLatency: (ms: number, target?: FaultTarget) => plan.setLatency(ms, target),
    addKey: (name: string) => store.add(name),
    removeKey: (name: string) => store.remove(name),
    setKeyState: (name: string, state: VersionState) => store.setState(name, state),
    rotateKey: (name: string) => store.rotate(name),
    addServiceAccount: (clientEmail: string, publicKeyPem: string) => oauth.addAccount(clientEmail, publicKeyPem),
    revokeTokens: () => oauth.revokeAll(),
    stats: (): FakeStats => ({ ...counters, tokenRequests: oauth.tokenRequests, tokensIssued: oauth.tokensIssued }),
    resetStats: () => {
      counters.kmsRequests = counters.encryptRequests = counters.decryptRequests = counters.dropped = counters.abandoned = 0;
      oauth.tokenRequests = oauth.tokensIssued = 0;
    },
    reset: () => plan.reset(),
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (raw === undefined) return sendJson(res, 413, { error: { code: 413, message: 'Request too large.', status: 'INVALID_ARGUMENT' } });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/__control/')) return handleControl(req.method ?? 'GET', path, parseObject(raw), res, control, store);
    if (req.method !== 'POST') return sendJson(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
    if (path === '/token') {
      const r = oauth.exchange(new URLSearchParams(raw.toString('utf8')));
      return sendJson(res, r.ok ? 200 : r.httpStatus, r.body, { 'cache-control': 'no-store' });
    }
    const m = KMS_PATH.exec(decodeURIComponent(path));
    if (m === null) return sendJson(res, 404, { error: { code: 404, message: 'The requested URL was not found on this server.', status: 'NOT_FOUND' } });
    return kms(req, res, m[1], m[2] as KmsMethod, raw);
  }

  const server = await startLoopbackServer(
    guardedListener(route, (res) => sendJson(res, 500, { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } })),
    { port: options.port },
  );
  port = server.port;
  return { ...googleHost(server, generated), ...control };
}
