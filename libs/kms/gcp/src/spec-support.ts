import { Socket } from 'node:net';
import { startFakeGcpKms, type FakeGcpKms } from '@tsp/fake-gcp-kms';
import type { KmsConfig } from '@tsp/config-crypto';
import type { KmsCallContext } from '@tsp/kms-core';

/** Test helpers for the gcp provider specs (not exported by the lib). */
export const KEY_PATH = { projectId: 'tenant-proj-1', locationId: 'global', keyRingId: 'tsp-ring', cryptoKeyId: 'tsp-key' };
export const KEY_NAME = 'projects/tenant-proj-1/locations/global/keyRings/tsp-ring/cryptoKeys/tsp-key';

export function startFake(): Promise<FakeGcpKms> {
  return startFakeGcpKms({ keys: [KEY_NAME] });
}

export function configFor(fake: FakeGcpKms, over: Partial<KmsConfig> = {}): KmsConfig {
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the fake generated no service account');
  return {
    id: 7,
    type: 'gcp',
    active: true,
    primary: true,
    keyPath: { ...KEY_PATH },
    credentials: { type: 'service_account', client_email: sa.client_email, private_key: sa.private_key, token_uri: sa.token_uri },
    endpoint: fake.url,
    ...over,
  };
}

export function ctx(tenantId = 'tenant-a', kmsConfigId = 7, signal: AbortSignal = new AbortController().signal): KmsCallContext {
  return { tenantId, kmsConfigId, signal };
}

/**
 * Records the destination of every outgoing TCP connection of this process and refuses any
 * that is not loopback before a packet leaves (the socket is destroyed at connect time).
 */
export function guardLoopback(): { destinations: string[]; refused: string[]; restore(): void } {
  const destinations: string[] = [];
  const refused: string[] = [];
  const original = Socket.prototype.connect;
  type Connect = (this: Socket, ...args: unknown[]) => Socket;
  const patched: Connect = function (this: Socket, ...args: unknown[]): Socket {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const opts = typeof first === 'object' && first !== null ? (first as { host?: string; port?: number; path?: string }) : undefined;
    const host = opts?.path !== undefined ? `unix:${opts.path}` : (opts?.host ?? (typeof args[1] === 'string' ? args[1] : 'localhost'));
    destinations.push(`${host}:${opts?.port ?? String(first)}`);
    if (!/^(127\.\d+\.\d+\.\d+|localhost|::1|unix:.*)$/.test(host)) {
      refused.push(host);
      this.destroy(new Error(`non-loopback connection refused by the test guard: ${host}`));
      return this;
    }
    return (original as unknown as Connect).apply(this, args);
  };
  Socket.prototype.connect = patched as unknown as typeof Socket.prototype.connect;
  return { destinations, refused, restore: () => void (Socket.prototype.connect = original) };
}
