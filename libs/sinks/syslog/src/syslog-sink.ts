import type { Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import {
  credentialsOf, DeliveryOutcome, ItemFailure, scrubOutcome, secretStrings, settingsOf, Sink, SinkEvent, SinkPlugin,
} from '@tsp/sinks-core';
import {
  DEFAULT_APP_NAME, DEFAULT_FACILITY, DEFAULT_HANDSHAKE_SETTLE_MS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SD_ID, SyslogCredentials, SyslogSettings,
  validateSyslogConfig,
} from './syslog-config';
import { openSyslogSocket, SyslogEndpoint, SyslogSendFailure } from './syslog-connection';
import { formatMessage, frame, headerField, SyslogHeader } from './syslog-message';

/**
 * `syslog`: each event as one RFC 5424 message, framed by octet counting (RFC 6587), over one
 * persistent TCP or TLS (RFC 5425) connection per sink instance, reopened lazily after an error.
 *
 * Syslog has no application-level acknowledgement: `delivered` means every byte of the batch was
 * written to the socket and flushed to the kernel (write callback), which is weaker than an HTTP
 * 2xx (a server that dies right after may lose what it had not processed). A connection the
 * server closed is noticed before the next write and reopened. Errors while writing are `retry`;
 * an event whose message exceeds maxMessageBytes is rejected for good (partial, or reject when
 * every event of the batch is too large).
 */
export class SyslogSink implements Sink {
  readonly type = 'syslog';
  private socket: Socket | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly secrets: string[];
  private closed = false;

  constructor(
    private readonly endpoint: SyslogEndpoint,
    private readonly header: SyslogHeader,
    private readonly maxMessageBytes: number,
    credentials: SyslogCredentials,
  ) {
    this.secrets = secretStrings(credentials);
  }

  /** Sends are serialised so the frames of two batches never interleave on the connection. */
  send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const run = this.queue.then(() => this.sendNow(batch, signal));
    this.queue = run.catch(() => undefined);
    return run.then((o) => scrubOutcome(o, this.secrets), () => ({ kind: 'retry', reason: 'syslog send failed' }) as DeliveryOutcome);
  }

  private async sendNow(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    if (this.closed) return { kind: 'retry', reason: 'syslog sink closed' };
    const failed: ItemFailure[] = [];
    const frames: Buffer[] = [];
    batch.forEach((event, index) => {
      const message = Buffer.from(formatMessage(event, this.header), 'utf8');
      if (message.length > this.maxMessageBytes) failed.push({ index, retry: false, reason: `syslog message of ${message.length} bytes exceeds maxMessageBytes` });
      else frames.push(frame(message));
    });
    if (frames.length === 0) {
      return { kind: 'reject', reason: failed.length === 1 ? failed[0].reason : `every syslog message of the batch exceeds maxMessageBytes` };
    }
    try {
      const socket = await this.connection(signal);
      await this.write(socket, Buffer.concat(frames), signal);
    } catch (err) {
      this.drop();
      return err instanceof SyslogSendFailure ? err.outcome : { kind: 'retry', reason: 'syslog send failed' };
    }
    return failed.length === 0 ? { kind: 'delivered' } : { kind: 'partial', failed };
  }

  /** The open connection, or a new one when there is none or the server closed it. */
  private async connection(signal: AbortSignal): Promise<Socket> {
    const s = this.socket;
    if (s !== undefined && !s.destroyed && s.writable && !s.readableEnded) return s;
    this.drop();
    const socket = await openSyslogSocket(this.endpoint, signal);
    socket.setKeepAlive(true, 30_000);
    const forget = (): void => {
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
    };
    socket.on('error', forget);
    socket.on('end', forget);
    socket.on('close', forget);
    this.socket = socket;
    return socket;
  }

  private write(socket: Socket, data: Buffer, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (failure?: SyslogSendFailure): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('close', onClose);
        if (failure === undefined) resolve();
        else reject(failure);
      };
      // A frame cut off by an abort would corrupt the stream: the connection is dropped.
      const onAbort = (): void => finish(new SyslogSendFailure({ kind: 'retry', reason: 'syslog send aborted (deadline)' }));
      const onClose = (): void => finish(new SyslogSendFailure({ kind: 'retry', reason: 'syslog connection closed while writing' }));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('close', onClose);
      socket.write(data, (err) => {
        const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
        finish(err ? new SyslogSendFailure({ kind: 'retry', reason: `syslog write failed (${code ?? 'error'})` }) : undefined);
      });
    });
  }

  private drop(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }

  /** Ends the connection (TLS close_notify) once what was written is flushed; destroys it after 1 s. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const s = this.socket;
    this.socket = undefined;
    if (s === undefined || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => s.destroy(), 1000);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
    });
  }
}

/** Builds the sink of a validated config. */
export function createSyslogSink(config: LoggingSinkConfig): SyslogSink {
  const s = settingsOf<SyslogSettings>(config);
  const c = credentialsOf<SyslogCredentials>(config);
  const endpoint: SyslogEndpoint = {
    transport: s.transport ?? 'tls',
    host: s.host,
    port: s.port,
    handshakeSettleMs: s.handshakeSettleMs ?? DEFAULT_HANDSHAKE_SETTLE_MS,
    ...(s.caCertificate !== undefined ? { ca: s.caCertificate } : {}),
    ...(s.serverName !== undefined ? { serverName: s.serverName } : {}),
    ...(c.clientCertificate !== undefined ? { clientCertificate: c.clientCertificate, clientKey: c.clientKey } : {}),
  };
  const header: SyslogHeader = {
    facility: s.facility ?? DEFAULT_FACILITY,
    hostname: s.hostname ?? headerField(osHostname(), 255),
    appName: s.appName ?? DEFAULT_APP_NAME,
    sdId: s.sdId ?? DEFAULT_SD_ID,
    utf8Bom: s.utf8Bom ?? false,
  };
  return new SyslogSink(endpoint, header, s.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, c);
}

/**
 * The `syslog` plug-in. Syslog has no request limit, only a message size (maxMessageBytes);
 * a batch is bounded so one send stays a few MiB on one connection.
 */
export const syslogSinkPlugin: SinkPlugin = {
  type: 'syslog',
  limits: { maxEvents: 1000, maxBytes: 4 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => validateSyslogConfig(config),
  create: (config: LoggingSinkConfig) => createSyslogSink(config),
};
