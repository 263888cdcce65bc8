import { createServer, Server, Socket } from 'node:net';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { RsyslogMessage, RsyslogServer } from '@tsp/test-support';

/**
 * Test helpers shared by the syslog specs (not exported from index.ts): sink configs aimed at a
 * private rsyslogd, the delivered JSON inside a received message, and a TCP server that accepts
 * connections and never reads (a hanging syslog server, or one whose TLS handshake never ends).
 */
export type Listener = 'tcp' | 'tls' | 'mtls';

export function syslogConfig(
  r: RsyslogServer,
  listener: Listener,
  opts: { settings?: Record<string, unknown>; credentials?: Record<string, string>; rogue?: boolean; port?: number } = {},
): LoggingSinkConfig {
  const c = r.certificates;
  const port = opts.port ?? (listener === 'tcp' ? r.tcpPort : listener === 'tls' ? r.tlsPort : r.mtlsPort);
  const settings: Record<string, unknown> = {
    transport: listener === 'tcp' ? 'tcp' : 'tls',
    host: '127.0.0.1',
    port,
    hostname: 'logdriver-test',
    ...(listener === 'tcp' ? {} : { caCertificate: c.ca }),
    ...opts.settings,
  };
  const credentials =
    opts.credentials ??
    (listener === 'mtls'
      ? opts.rogue === true
        ? { clientCertificate: c.rogueClientCert, clientKey: c.rogueClientKey }
        : { clientCertificate: c.clientCert, clientKey: c.clientKey }
      : undefined);
  return { id: 'sys', type: 'syslog', settings, ...(credentials !== undefined ? { credentials } : {}) };
}

/** The delivered event carried in MSG (a leading BOM removed). */
export function deliveredOf(m: RsyslogMessage): Record<string, unknown> {
  return JSON.parse(m.msg.replace(/^\ufeff/, '')) as Record<string, unknown>;
}

export interface SilentServer {
  port: number;
  /** Bytes that reached the server (only when `capture` is set). */
  data(): Buffer;
  stop(): Promise<void>;
}

/**
 * A loopback TCP server that accepts and then never reads (capture: false: data pile up in the
 * socket buffers, a TLS handshake never completes) or reads everything into data() (capture: true).
 */
export function silentServer(capture = false): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let received = Buffer.alloc(0);
  const server: Server = createServer({ pauseOnConnect: !capture }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if (capture) s.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a !== null ? a.port : 0,
        data: () => received,
        stop: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
