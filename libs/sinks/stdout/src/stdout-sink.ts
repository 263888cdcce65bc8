import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { DeliveryOutcome, Sink, SinkEvent, SinkHost, sinkConfigValidator, SinkPlugin } from '@tsp/sinks-core';

const validate = sinkConfigValidator(
  { type: 'object', additionalProperties: false, properties: {} },
  { type: 'object', additionalProperties: false, properties: {} },
);

/**
 * `stdout`: one delivered event per line on the logdriver's standard output, as the original
 * does for tenants without a logging config (a container runtime collects it). Delivered when
 * the stream took the write; a broken stdout is a retry.
 */
export class StdoutSink implements Sink {
  readonly type = 'stdout';

  constructor(private readonly out: NodeJS.WritableStream) {}

  send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    let text = '';
    for (const e of batch) text += `${e.json}\n`;
    return new Promise((resolve) => {
      const onAbort = (): void => resolve({ kind: 'retry', reason: 'stdout write timed out' });
      signal.addEventListener('abort', onAbort, { once: true });
      this.out.write(text, (err) => {
        signal.removeEventListener('abort', onAbort);
        resolve(err ? { kind: 'retry', reason: `stdout write failed (${(err as NodeJS.ErrnoException).code ?? 'error'})` } : { kind: 'delivered' });
      });
    });
  }

  async close(): Promise<void> {
    // process.stdout is never closed by a sink.
  }
}

export const stdoutSinkPlugin: SinkPlugin = {
  type: 'stdout',
  limits: { maxEvents: 10_000, maxBytes: 16 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => validate(config),
  create: (_config: LoggingSinkConfig, host: SinkHost) => new StdoutSink(host.stdout),
};
