import { createServer as createHttpServer, IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { LoopbackCertificate } from './loopback-certificate';

/** Where a fake listens (its options usually extend these). */
export interface LoopbackServerOptions {
  /** Port on 127.0.0.1 (0 or omitted: any free port). */
  port?: number;
  /** Serve https with this certificate (trust `tls.cert` as the CA); plain http when omitted. */
  tls?: LoopbackCertificate;
}

/** What every loopback fake hands back. */
export interface LoopbackFake {
  /** Base URL, http(s)://127.0.0.1:PORT. */
  readonly url: string;
  readonly port: number;
  /** Stops the fake: closes its connections and its port. */
  stop(): Promise<void>;
}

/** A server listening on 127.0.0.1. */
export interface LoopbackServer {
  readonly server: Server;
  readonly port: number;
  /** http(s)://127.0.0.1:PORT, without a trailing slash. */
  readonly url: string;
  /** Stops listening, destroys every open connection (idle, mid-request or mid-handshake) and resolves once closed. */
  stop(): Promise<void>;
}

/**
 * A listener for an async handler: when the handler fails, `onError` (if any) sees the error and,
 * unless an answer was already started, `answerFailure` answers (e.g. the service's own 500 body).
 */
export function guardedListener(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  answerFailure: (res: ServerResponse) => void,
  onError?: (error: unknown) => void,
): RequestListener {
  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      onError?.(e);
      if (!res.headersSent) answerFailure(res);
    });
  };
}

/**
 * Starts an http (or https) server on 127.0.0.1 only, never another interface. Rejects when the
 * port cannot be bound. Every accepted socket is tracked so that stop() can close it.
 */
export async function startLoopbackServer(handler: RequestListener, options: LoopbackServerOptions = {}): Promise<LoopbackServer> {
  const server: Server = options.tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler);
  const sockets = new Set<Socket>();
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
    server,
    port,
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
