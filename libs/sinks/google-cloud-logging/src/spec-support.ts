import { generateKeyPairSync } from 'node:crypto';
import { Socket } from 'node:net';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { FakeGoogleCloudLogging } from '@tsp/fake-google-cloud-logging';
import type { SinkHost } from '@tsp/sinks-core';

/** Test helpers for the google-cloud-logging specs (not exported by the lib). */
export const PROJECT = 'tenant-proj-1';

export const host: SinkHost = { tenantId: 'tenant-a', sinkId: 'gcl', eventsDir: undefined, stdout: process.stdout };

/** A throwaway RSA key no token endpoint knows. */
export function strangerKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function configFor(fake: FakeGoogleCloudLogging, over: { settings?: Record<string, unknown>; credentials?: Record<string, unknown> } = {}): LoggingSinkConfig {
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the fake generated no service account');
  return {
    id: 'gcl',
    type: 'google-cloud-logging',
    settings: { projectId: PROJECT, endpoint: fake.url, timeoutMs: 5000, ...over.settings },
    credentials: { type: 'service_account', client_email: sa.client_email, private_key: sa.private_key, private_key_id: 'key-1', token_uri: sa.token_uri, ...over.credentials },
  };
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
    const target = opts?.path !== undefined ? `unix:${opts.path}` : (opts?.host ?? (typeof args[1] === 'string' ? args[1] : 'localhost'));
    destinations.push(target);
    if (!/^(127\.\d+\.\d+\.\d+|localhost|::1|unix:.*)$/.test(target)) {
      refused.push(target);
      this.destroy(new Error('non-loopback connection refused by the test guard'));
      return this;
    }
    return (original as unknown as Connect).apply(this, args);
  };
  Socket.prototype.connect = patched as unknown as typeof Socket.prototype.connect;
  return { destinations, refused, restore: () => void (Socket.prototype.connect = original) };
}
