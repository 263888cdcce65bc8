import type { IncomingMessage, ServerResponse } from 'node:http';
import { addValidRule, generateLoopbackCertificate, guardedListener, LoopbackCertificate, readBodyOrDestroy, sendJson, startLoopbackServer } from '@tsp/fake-support';
import { entraEndpoint, EntraHost, entraHost, fakeAppRegistration } from './entra-app';
import { EntraAuthority, EntraReply, entraError } from './entra-token';
import { FaultDecision, FaultRule, FaultTable, faultRuleProblems, FakeOperation } from './faults';
import { KeyStore, WrapAlgorithm, wrapWith } from './key-store';
import { classify, VaultApi } from './vault-api';
import { accessDenied, keyDisabled, keyNotFound, Reply, requestIdHeaders, throttled, unavailable, vaultError } from './vault-errors';

export interface FakeAzureKeyVaultOptions {
  /** Port on 127.0.0.1 (0 or omitted: any free port). */
  port?: number;
  /** Serve https with this certificate, or with a fresh self-signed one (`true`). MSAL needs https. */
  tls?: LoopbackCertificate | boolean;
  tenantGuid?: string;
  clientId?: string;
  clientSecret?: string;
  /** Key names and how many versions each starts with (default { 'tsp-key': 1 }). */
  keys?: Record<string, number>;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
  /** Sees an exception the fake could not handle (it answers 500); for diagnostics. */
  onError?: (e: unknown) => void;
}

export interface FakeCounts {
  /** Vault requests answered with the 401 challenge. */
  challenge: number;
  /** Token requests, and those granted. */
  token: number;
  tokenGranted: number;
  get: number;
  wrapkey: number;
  unwrapkey: number;
}

/** `url` is the vault base URL (keyPath.vaultBaseUrl), `authorityHost` the credentials' authorityHost. */
export interface FakeAzureKeyVault extends EntraHost {
  /** PEM of the certificate to trust when served over https. */
  readonly caCert: string | undefined;
  counts(): FakeCounts;
  resetCounts(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  createKey(name: string, versions?: number): Promise<void>;
  /** Adds a new current version; returns its id. */
  rotateKey(name: string): Promise<string>;
  setKeyEnabled(name: string, enabled: boolean): void;
  versions(name: string): string[];
  /** Wraps with a key version as the service would (for legacy-EDEK fixtures); '' = newest. */
  wrap(name: string, version: string, plaintext: Buffer, alg?: WrapAlgorithm): Buffer;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, reply: Reply | EntraReply): void {
  if (res.destroyed || res.writableEnded) return;
  const extra = 'headers' in reply && reply.headers !== undefined ? reply.headers : {};
  sendJson(res, reply.status, reply.body, { ...requestIdHeaders(), ...extra }, 'application/json; charset=utf-8');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Starts the fake Azure Key Vault + Entra ID token endpoint on 127.0.0.1. */
export async function startFakeAzureKeyVault(options: FakeAzureKeyVaultOptions = {}): Promise<FakeAzureKeyVault> {
  const tls = options.tls === true ? generateLoopbackCertificate() : options.tls === false ? undefined : options.tls;
  const app = fakeAppRegistration(options);
  const keys = new KeyStore();
  for (const [name, n] of Object.entries(options.keys ?? { 'tsp-key': 1 })) await keys.create(name, n);
  const faults = new FaultTable();
  for (const r of options.faults ?? []) faults.add(r);
  const entra = new EntraAuthority(app);
  let base = '';
  const vault = new VaultApi(keys, entra, () => base, () => base);
  const counts: FakeCounts = { challenge: 0, token: 0, tokenGranted: 0, get: 0, wrapkey: 0, unwrapkey: 0 };

  /** Applies latency, then the fault if any; returns the fault reply, 'dropped', or undefined to go on. */
  async function inject(d: FaultDecision, res: ServerResponse, op: FakeOperation, key: string | undefined, appid: string): Promise<Reply | 'dropped' | undefined> {
    if (d.latencyMs > 0) await sleep(d.latencyMs);
    if (res.destroyed) return 'dropped';
    const name = op === 'wrapkey' ? 'wrapKey' : op === 'unwrapkey' ? 'unwrapKey' : 'get';
    switch (d.fault) {
      case undefined:
        return undefined;
      case 'drop':
        res.socket?.destroy();
        return 'dropped';
      case 'throttle':
        return op === 'token' ? { ...entraError(429, 'temporarily_unavailable', 50196, 'The server terminated an operation because it encountered a client request loop.'), headers: { 'retry-after': '1' } } : throttled(1);
      case 'unavailable':
        return op === 'token' ? entraError(503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.') : unavailable();
      case 'app-disabled':
        return op === 'token' ? entraError(400, 'unauthorized_client', 7000112, `Application '${app.clientId}' is disabled.`) : undefined;
      case 'missing':
        return op === 'token' ? undefined : keyNotFound(key ?? '');
      case 'disabled':
        return op === 'token' ? undefined : keyDisabled(name);
      case 'forbidden':
        return op === 'token' ? undefined : accessDenied(name, appid);
    }
  }

  /** The control API under /_fake/ (see index.ts). */
  async function control(method: string, segments: string[], raw: string): Promise<Reply> {
    const body: unknown = raw === '' ? {} : JSON.parse(raw);
    const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const [what, name, sub] = segments.slice(1);
    const done: Reply = { status: 204, body: {} };
    if (method === 'GET' && what === 'state') {
      const state = Object.fromEntries(keys.names().map((n) => [n, { enabled: keys.get(n)?.enabled, versions: handle.versions(n) }]));
      return { status: 200, body: { counts, keys: state } };
    }
    if (method === 'POST' && what === 'counts' && name === 'reset') {
      handle.resetCounts();
      return done;
    }
    if (method === 'POST' && what === 'faults') return addValidRule(body, faultRuleProblems, (rule: FaultRule) => faults.add(rule), 201);
    if (method === 'DELETE' && what === 'faults') {
      faults.clear();
      return done;
    }
    if (what !== 'keys' || name === undefined) return { status: 404, body: { problems: ['unknown control route'] } };
    if (method === 'PUT' && sub === undefined) {
      const n = obj['versions'];
      await handle.createKey(name, typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 20 ? n : 1);
      return { status: 201, body: { versions: handle.versions(name) } };
    }
    if (keys.get(name) === undefined) return { status: 404, body: { problems: ['no such key'] } };
    if (method === 'POST' && sub === 'rotate') return { status: 201, body: { version: await handle.rotateKey(name) } };
    if (method === 'PATCH' && sub === undefined && typeof obj['enabled'] === 'boolean') {
      handle.setKeyEnabled(name, obj['enabled']);
      return { status: 200, body: {} };
    }
    return { status: 404, body: { problems: ['unknown control route'] } };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const segments = url.pathname.split('/').slice(1);
    const raw = (await readBodyOrDestroy(req, MAX_BODY)).toString('utf8');
    if (segments[0] === '_fake') {
      try {
        return send(res, await control(req.method ?? '', segments, raw));
      } catch {
        return send(res, { status: 400, body: { problems: ['invalid control request'] } });
      }
    }
    const endpoint = entraEndpoint(req.method ?? '', segments);
    if (endpoint?.kind === 'openid-configuration') return send(res, entra.openIdConfiguration(base, endpoint.tenant));
    if (endpoint?.kind === 'token') {
      counts.token++;
      const injected = await inject(faults.decide('token', undefined), res, 'token', undefined, '');
      if (injected === 'dropped') return;
      if (injected !== undefined) return send(res, injected);
      const reply = entra.token(endpoint.tenant, new URLSearchParams(raw));
      if (reply.status === 200) counts.tokenGranted++;
      return send(res, reply);
    }
    const target = classify(req.method ?? '', segments);
    if (target === undefined) return send(res, vaultError(404, 'NotFound', `No route for ${req.method ?? ''} ${url.pathname}.`));
    if (!url.searchParams.has('api-version')) return send(res, vaultError(400, 'BadParameter', 'The api-version query parameter is missing.'));
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return send(res, vaultError(400, 'BadParameter', 'The request body is not valid JSON.'));
    }
    const vreq = { method: req.method ?? '', segments, query: url.searchParams, authorization: req.headers.authorization, body };
    const auth = vault.authenticate(vreq);
    if ('status' in auth) {
      counts.challenge++;
      return send(res, auth);
    }
    counts[target.op === 'get' ? 'get' : target.op === 'wrapkey' ? 'wrapkey' : 'unwrapkey']++;
    const injected = await inject(faults.decide(target.op, target.name), res, target.op, target.name, auth.appid);
    if (injected === 'dropped') return;
    send(res, injected ?? vault.handle(target.op, target.name, target.version, vreq));
  }

  const server = await startLoopbackServer(
    guardedListener(onRequest, (res) => send(res, vaultError(500, 'InternalServerError', 'The fake failed to handle the request.')), options.onError),
    { port: options.port, tls },
  );
  base = server.url;

  const handle: FakeAzureKeyVault = {
    ...entraHost(server, app),
    caCert: tls?.cert,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      for (const k of Object.keys(counts) as (keyof FakeCounts)[]) counts[k] = 0;
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    createKey: async (name, versions = 1) => {
      await keys.create(name, versions);
    },
    rotateKey: async (name) => (await keys.addVersion(name)).version,
    setKeyEnabled: (name, enabled) => {
      const k = keys.get(name);
      if (k === undefined) throw new Error(`no key ${name}`);
      k.enabled = enabled;
    },
    versions: (name) => (keys.get(name)?.versions ?? []).map((v) => v.version),
    wrap: (name, version, plaintext, alg = 'RSA-OAEP-256') => {
      const v = keys.find(name, version);
      if (v === undefined) throw new Error(`no key ${name}/${version}`);
      return wrapWith(v, alg, plaintext);
    },
    close: () => server.stop(),
  };
  return handle;
}
