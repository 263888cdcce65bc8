import type { ServerResponse } from 'node:http';
import { Fault, FaultTarget, isFault } from './faults';
import type { KeyStore, VersionState } from './key-store';

/**
 * The fake's control API, on the same loopback port under /__control/ (no auth: loopback only,
 * test use only). Bodies are JSON.
 *   GET  /__control/stats                      → {kmsRequests, encryptRequests, decryptRequests, dropped, tokenRequests, tokensIssued}
 *   POST /__control/stats/reset
 *   POST /__control/faults        {fault, key?, times?}   fault: see faults.ts
 *   POST /__control/faults/clear  {key?}
 *   POST /__control/latency       {ms, key?, times?}
 *   POST /__control/keys          {name, state?: ENABLED|DISABLED|DESTROYED, rotate?: true}
 *   POST /__control/keys/remove   {name}
 *   POST /__control/service-accounts {clientEmail, publicKeyPem}
 *   POST /__control/revoke-tokens
 *   POST /__control/reset         (all faults and latency off)
 */
export interface FakeControl {
  inject(fault: Fault, target?: FaultTarget): void;
  clearFaults(key?: string): void;
  setLatency(ms: number, target?: FaultTarget): void;
  addKey(name: string): void;
  removeKey(name: string): void;
  setKeyState(name: string, state: VersionState): void;
  rotateKey(name: string): number;
  addServiceAccount(clientEmail: string, publicKeyPem: string): void;
  revokeTokens(): void;
  stats(): object;
  resetStats(): void;
  reset(): void;
}

const STATES: readonly string[] = ['ENABLED', 'DISABLED', 'DESTROYED'];

function target(body: Record<string, unknown>): FaultTarget | string {
  const { key, times } = body;
  if (key !== undefined && typeof key !== 'string') return 'key must be a string';
  if (times !== undefined && !(typeof times === 'number' && Number.isInteger(times) && times >= 1)) return 'times must be a positive integer';
  return { ...(key !== undefined ? { key } : {}), ...(times !== undefined ? { times } : {}) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function handleControl(method: string, path: string, body: Record<string, unknown> | undefined, res: ServerResponse, c: FakeControl, store: KeyStore): void {
  const b = body ?? {};
  const ok = (extra: object = {}): void => send(res, 200, { ok: true, ...extra });
  const bad = (message: string): void => send(res, 400, { error: message });
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /__control/stats':
        return send(res, 200, c.stats());
      case 'POST /__control/stats/reset':
        c.resetStats();
        return ok();
      case 'POST /__control/faults': {
        const t = target(b);
        if (typeof t === 'string') return bad(t);
        if (!isFault(b['fault'])) return bad('fault is not one of the known faults');
        c.inject(b['fault'], t);
        return ok();
      }
      case 'POST /__control/faults/clear':
        if (b['key'] !== undefined && typeof b['key'] !== 'string') return bad('key must be a string');
        c.clearFaults(b['key']);
        return ok();
      case 'POST /__control/latency': {
        const t = target(b);
        if (typeof t === 'string') return bad(t);
        const ms = b['ms'];
        if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) return bad('ms must be a non-negative integer');
        c.setLatency(ms, t);
        return ok();
      }
      case 'POST /__control/keys': {
        const { name, state, rotate } = b;
        if (typeof name !== 'string') return bad('name must be a CryptoKey name');
        c.addKey(name);
        if (state !== undefined) {
          if (typeof state !== 'string' || !STATES.includes(state)) return bad('state must be ENABLED, DISABLED or DESTROYED');
          c.setKeyState(name, state as VersionState);
        }
        const version = rotate === true ? c.rotateKey(name) : undefined;
        return ok({ keys: store.names(), ...(version !== undefined ? { version } : {}) });
      }
      case 'POST /__control/keys/remove':
        if (typeof b['name'] !== 'string') return bad('name must be a CryptoKey name');
        c.removeKey(b['name']);
        return ok();
      case 'POST /__control/service-accounts':
        if (typeof b['clientEmail'] !== 'string' || typeof b['publicKeyPem'] !== 'string') return bad('clientEmail and publicKeyPem are required strings');
        c.addServiceAccount(b['clientEmail'], b['publicKeyPem']);
        return ok();
      case 'POST /__control/revoke-tokens':
        c.revokeTokens();
        return ok();
      case 'POST /__control/reset':
        c.reset();
        return ok();
      default:
        return send(res, 404, { error: 'unknown control route' });
    }
  } catch (e) {
    return bad(e instanceof Error ? e.message : 'failed');
  }
}
