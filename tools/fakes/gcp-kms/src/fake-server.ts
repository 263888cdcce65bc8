import { generateKeyPairSync } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeControl, handleControl } from './control-api';
import { Fault, FaultPlan, FaultTarget } from './faults';
import { faultReply, unauthenticated, type ErrorFault } from './google-errors';
import { KeyStore, VersionState } from './key-store';
import { handleKmsCall, KmsMethod } from './kms-handler';
import { TokenAuthority } from './oauth';

export interface FakeServiceAccount {
  client_email: string;
  /** PEM PKCS#8, present for the account the fake generated itself. */
  private_key: string;
  token_uri: string;
}

export interface FakeGcpKmsOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** CryptoKey names (projects/P/locations/L/keyRings/R/cryptoKeys/K) created at start. */
  keys?: string[];
  /** Service accounts the token endpoint accepts, by public key. Without any, one is generated. */
  serviceAccounts?: Array<{ clientEmail: string; publicKeyPem: string }>;
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

export interface FakeGcpKms extends FakeControl {
  /** http://127.0.0.1:PORT: the `endpoint` of a gcp KMS config. */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:PORT/token: the service account's `token_uri`. */
  readonly tokenUri: string;
  /** The generated service account (when none was configured), ready for a config's credentials. */
  readonly serviceAccount: FakeServiceAccount | undefined;
  stats(): FakeStats;
  stop(): Promise<void>;
}

const KMS_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(encrypt|decrypt)$/;
const MAX_BODY = 1024 * 1024;
const ERROR_FAULTS: readonly Fault[] = ['unauthenticated', 'permission-denied', 'not-found', 'disabled', 'throttle', 'billing-disabled', 'service-disabled', 'unavailable'];

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size <= MAX_BODY ? Buffer.concat(chunks) : undefined));
    req.on('error', () => resolve(undefined));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function parseObject(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw.length === 0 ? '{}' : raw.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Waits ms, or less when the client goes away meanwhile. */
function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
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
  let generated: { client_email: string; private_key: string } | undefined;
  if ((options.serviceAccounts ?? []).length === 0) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    generated = { client_email: 'tsp-fake@fake-project.iam.gserviceaccount.com', private_key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    oauth.addAccount(generated.client_email, pair.publicKey);
  }
  for (const a of options.serviceAccounts ?? []) oauth.addAccount(a.clientEmail, a.publicKeyPem);
  const counters = { kmsRequests: 0, encryptRequests: 0, decryptRequests: 0, dropped: 0, abandoned: 0 };

  async function kms(req: IncomingMessage, res: ServerResponse, key: string, method: KmsMethod, raw: Buffer): Promise<void> {
    counters.kmsRequests++;
    counters[method === 'encrypt' ? 'encryptRequests' : 'decryptRequests']++;
    const { fault, latencyMs } = plan.next(key);
    if (latencyMs > 0) await delay(latencyMs, res);
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

  const server: Server = createServer((req, res) => {
    route(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    tokenUri: `${url}/token`,
    serviceAccount: generated && { ...generated, token_uri: `${url}/token` },
    ...control,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
