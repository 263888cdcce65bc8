import { connect as netConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { DeliveryOutcome, transportFailure } from '@tsp/sinks-core';

/** Where and how to connect; TLS fields apply to transport 'tls' only. */
export interface SyslogEndpoint {
  transport: 'tcp' | 'tls';
  host: string;
  port: number;
  ca?: string;
  serverName?: string;
  clientCertificate?: string;
  clientKey?: string;
  /** How long a new TLS connection is watched for the server dropping it (client certificate refused). */
  handshakeSettleMs: number;
}

/** A send that failed before or while writing, with the outcome to give. */
export class SyslogSendFailure extends Error {
  constructor(readonly outcome: DeliveryOutcome) {
    super(outcome.kind === 'retry' || outcome.kind === 'reject' ? outcome.reason : outcome.kind);
  }
}

const SERVICE = 'syslog';

/** OpenSSL alerts a TLS server sends when it refuses the client's certificate (or its absence). */
const CLIENT_AUTH_ALERT = /ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED|UNSUPPORTED_CERTIFICATE|HANDSHAKE_FAILURE)/;
/** Codes of node:tls when the server's certificate does not verify. */
const SERVER_CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID/;

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/** The outcome of an error raised while connecting (secret-free: only the error code is used). */
export function connectFailure(err: unknown): DeliveryOutcome {
  const code = codeOf(err);
  if (CLIENT_AUTH_ALERT.test(code)) return { kind: 'retry', reason: `syslog server refused the client certificate (${code})`, auth: true };
  if (SERVER_CERT_CODE.test(code)) return { kind: 'retry', reason: `syslog server certificate not trusted (${code})` };
  return transportFailure(SERVICE, err);
}

const aborted = (): SyslogSendFailure => new SyslogSendFailure({ kind: 'retry', reason: 'syslog send aborted (deadline)' });

/**
 * Opens one connection; for TLS, resolves only after the handshake and a settle time in which a
 * server that verifies client certificates after the handshake (rsyslog does) has dropped a
 * refused client: such a drop is `retry` with `auth`. Rejects with SyslogSendFailure; destroys
 * the socket when `signal` aborts.
 */
export function openSyslogSocket(ep: SyslogEndpoint, signal: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (signal.aborted) return reject(aborted());
    let socket: Socket;
    try {
      socket =
        ep.transport === 'tcp'
          ? netConnect({ host: ep.host, port: ep.port })
          : tlsConnect({
              host: ep.host,
              port: ep.port,
              ...(ep.ca !== undefined ? { ca: ep.ca } : {}),
              // SNI takes a name, never an IP address.
              ...(ep.serverName !== undefined ? { servername: ep.serverName } : isIP(ep.host) === 0 ? { servername: ep.host } : {}),
              ...(ep.clientCertificate !== undefined ? { cert: ep.clientCertificate, key: ep.clientKey } : {}),
            });
    } catch (err) {
      // An unreadable client certificate or key throws here: the tenant's credentials are at fault.
      return reject(new SyslogSendFailure({ kind: 'retry', reason: `syslog client certificate or key unusable (${codeOf(err)})`, auth: true }));
    }
    let settle: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (settle !== undefined) clearTimeout(settle);
    };
    const fail = (f: SyslogSendFailure): void => {
      cleanup();
      socket.destroy();
      reject(f);
    };
    const onAbort = (): void => fail(aborted());
    const onError = (err: Error): void =>
      fail(new SyslogSendFailure(settle !== undefined && !CLIENT_AUTH_ALERT.test(codeOf(err)) ? droppedAfterHandshake() : connectFailure(err)));
    const onClose = (): void => fail(new SyslogSendFailure(settle !== undefined ? droppedAfterHandshake() : transportFailure(SERVICE, { code: 'ECONNRESET' })));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onError);
    socket.on('close', onClose);
    // Nothing is expected from a syslog server; reading lets 'end' arrive when it closes.
    socket.resume();
    const ready = (): void => {
      cleanup();
      resolve(socket);
    };
    if (ep.transport === 'tcp') socket.once('connect', ready);
    else
      (socket as TLSSocket).once('secureConnect', () => {
        if (ep.handshakeSettleMs === 0) ready();
        else settle = setTimeout(ready, ep.handshakeSettleMs);
      });
  });
}

function droppedAfterHandshake(): DeliveryOutcome {
  return { kind: 'retry', reason: 'syslog server closed the connection after the TLS handshake (client certificate refused or missing)', auth: true };
}
