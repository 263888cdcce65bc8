import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { DeliveryOutcome, ItemFailure, secretStrings, Sink, SinkEvent, SinkHost, SinkPlugin } from '@tsp/sinks-core';
import type { JWT } from 'google-auth-library';
import { buildJwt, buildLoggingClient, LoggingClient } from './gcl-client';
import { gclConfigProblems, gclSettings, GclSettings } from './gcl-config';
import { buildWriteRequest, MAX_ENTRY_BYTES } from './gcl-entries';
import { classifyWriteError, entryFailures, SERVICE, WriteFailure } from './gcl-outcome';

/**
 * `google-cloud-logging`: each batch is one entries:write (partialSuccess) through the SDK's
 * generated LoggingServiceV2Client over REST. See gcl-entries.ts for the entry format and
 * gcl-outcome.ts for the classification of answers.
 */
export class GoogleCloudLoggingSink implements Sink {
  readonly type = 'google-cloud-logging';

  /** One SDK client and one credential (with its cached access token) per sink instance. */
  constructor(
    private readonly settings: GclSettings,
    private readonly tenantId: string,
    private readonly jwt: JWT,
    private readonly client: LoggingClient,
    private readonly secrets: readonly string[],
  ) {}

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const { request, sent, oversized } = buildWriteRequest(batch, this.settings, this.tenantId);
    const local: ItemFailure[] = oversized.map((index) => ({ index, retry: false, reason: `${SERVICE} refuses an entry over ${MAX_ENTRY_BYTES / 1024} KB` }));
    if (sent.length === 0) return { kind: 'reject', reason: `${SERVICE} refuses an entry over ${MAX_ENTRY_BYTES / 1024} KB` };
    const answer = await this.write(request, signal);
    if (answer === 'ok') return local.length === 0 ? { kind: 'delivered' } : { kind: 'partial', failed: local };
    if (answer.kind === 'whole') {
      // A whole-request retry keeps its Retry-After/auth marks; the oversized entries are
      // rejected on the attempt that reaches the service. A whole reject covers them too.
      if (answer.outcome.kind === 'retry' && answer.outcome.auth === true) this.dropToken();
      return answer.outcome;
    }
    const failed = [...entryFailures(answer.errors, sent, this.secrets), ...local];
    if (failed.length === local.length) return { kind: 'retry', reason: `${SERVICE} answered ${answer.status} with entry errors that name no entry of the request` };
    return { kind: 'partial', failed };
  }

  /** One entries:write, abandoned when the caller's signal or the request timeout fires. */
  private write(request: ReturnType<typeof buildWriteRequest>['request'], signal: AbortSignal): Promise<'ok' | WriteFailure> {
    const retry = (reason: string): WriteFailure => ({ kind: 'whole', outcome: { kind: 'retry', reason } });
    if (signal.aborted) return Promise.resolve(retry(`${SERVICE} write abandoned: the send deadline passed`));
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const stop = AbortSignal.any([signal, timeout]);
    const call = this.client.writeLogEntries(request, { isBundling: false, maxRetries: 0, timeout: this.settings.timeoutMs });
    return new Promise((resolve) => {
      const onAbort = (): void => {
        (call as { cancel?: () => void }).cancel?.();
        resolve(retry(signal.aborted ? `${SERVICE} write abandoned: the send deadline passed` : `${SERVICE} did not answer within ${this.settings.timeoutMs} ms`));
      };
      stop.addEventListener('abort', onAbort, { once: true });
      call.then(
        () => resolve('ok'),
        (err: unknown) => resolve(stop.aborted ? retry(`${SERVICE} write abandoned: the send deadline passed`) : classifyWriteError(err, this.secrets)),
      ).finally(() => stop.removeEventListener('abort', onAbort));
    });
  }

  /** Forgets the cached access token, so the next send gets a fresh one from the token endpoint. */
  private dropToken(): void {
    this.jwt.setCredentials({ refresh_token: 'jwt-placeholder', expiry_date: 1 });
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}

/**
 * Limits from Cloud Logging's quotas: at most 10 MB per entries:write request (the byte limit
 * leaves room for what each entry adds around its payload) and 1000 entries per batch; an entry
 * over 256 KB is refused (per item, see gcl-entries.ts).
 */
export const googleCloudLoggingSinkPlugin: SinkPlugin = {
  type: 'google-cloud-logging',
  limits: { maxEvents: 1000, maxBytes: 9 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => gclConfigProblems(config),
  create(config: LoggingSinkConfig, host: SinkHost): Sink {
    if (gclConfigProblems(config).length > 0) throw new Error('invalid google-cloud-logging sink config');
    const settings = gclSettings(config);
    const jwt = buildJwt(settings);
    return new GoogleCloudLoggingSink(settings, host.tenantId, jwt, buildLoggingClient(settings, jwt), secretStrings(config.credentials));
  },
};
