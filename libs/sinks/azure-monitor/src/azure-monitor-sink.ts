import { ClientSecretCredential } from '@azure/identity';
import { isAggregateLogsUploadError, LogsIngestionClient, LogsUploadFailure } from '@azure/monitor-ingestion';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { credentialsOf, DeliveryOutcome, secretStrings, settingsOf, Sink, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { AzureMonitorCredentials, AzureMonitorSettings, azureMonitorConfigProblems } from './azure-monitor-config';
import { MonitorRow, toMonitorRow } from './monitor-row';
import { classifyUploadError, FailedCall, SERVICE, uploadOutcome } from './upload-outcome';

/** Longest a send may take whatever the pipeline's deadline (the SDK call is aborted then). */
const SEND_TIMEOUT_MS = 60_000;

/**
 * `azure-monitor`: events into a Log Analytics table through the Logs Ingestion API (a data
 * collection rule's stream), with the real SDK: LogsIngestionClient.upload, authenticated as an
 * app registration (ClientSecretCredential; the app needs "Monitoring Metrics Publisher" on the
 * DCR). Each event is one row (monitor-row.ts). The SDK gzips and splits a batch into calls of
 * at most 1 MB and, with maxConcurrency 1, sends them in order; a failed call is reported with
 * the very row objects it carried, which map back to batch indices, so a batch whose calls fail
 * in part gives `partial` (retry or not by that call's status). SDK retries are off on the
 * ingestion and the token pipeline: the logdriver's pipeline owns retries.
 *
 * Precondition: `config` passed azureMonitorPlugin.validate.
 */
export class AzureMonitorSink implements Sink {
  readonly type = 'azure-monitor';
  private readonly client: LogsIngestionClient;
  private readonly secrets: readonly string[];
  private closed = false;

  constructor(private readonly settings: AzureMonitorSettings, credentials: AzureMonitorCredentials) {
    this.secrets = secretStrings(credentials);
    const tls = settings.caCertificate !== undefined ? { tlsOptions: { ca: settings.caCertificate } } : {};
    const credential = new ClientSecretCredential(credentials.tenantId, credentials.clientId, credentials.clientSecret, {
      ...(settings.authorityHost !== undefined ? { authorityHost: settings.authorityHost } : {}),
      disableInstanceDiscovery: true,
      retryOptions: { maxRetries: 0 },
      ...tls,
    });
    this.client = new LogsIngestionClient(settings.endpoint, credential, {
      retryOptions: { maxRetries: 0 },
      ...(settings.audience !== undefined ? { audience: settings.audience } : {}),
      ...tls,
    });
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    if (this.closed) return { kind: 'retry', reason: `${SERVICE} sink is closed` };
    if (batch.length === 0) return { kind: 'delivered' };
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(SEND_TIMEOUT_MS)]);
    if (deadline.aborted) return { kind: 'retry', reason: `${SERVICE} send aborted` };
    const rows: MonitorRow[] = batch.map((e) => toMonitorRow(e.record));
    const indexOf = new Map<unknown, number>(rows.map((r, i) => [r, i]));
    const failed: FailedCall[] = [];
    const onError = (f: LogsUploadFailure): void => {
      const indices = f.failedLogs.map((row) => indexOf.get(row)).filter((i): i is number => i !== undefined);
      failed.push({ verdict: classifyUploadError(f.cause, this.secrets), indices });
    };
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      deadline.addEventListener('abort', onAbort, { once: true });
    });
    const upload = this.client
      .upload(this.settings.ruleId, this.settings.streamName, rows as unknown as Record<string, unknown>[], { maxConcurrency: 1, abortSignal: deadline, onError })
      .then(
        () => 'done' as const,
        (e: unknown) => (isAggregateLogsUploadError(e) ? ('done' as const) : e),
      );
    try {
      const result = await Promise.race([upload, aborted]);
      // An abort between calls ends the upload without an error for the calls never made.
      if (result === 'aborted' || deadline.aborted) return { kind: 'retry', reason: `${SERVICE} send aborted` };
      if (result !== 'done') return classifyUploadError(result, this.secrets);
      return uploadOutcome(batch.length, failed);
    } finally {
      if (onAbort !== undefined) deadline.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    // LogsIngestionClient holds no resource to release beyond its pooled sockets (idle ones close).
    this.closed = true;
  }
}

export const azureMonitorSinkPlugin: SinkPlugin = {
  type: 'azure-monitor',
  // Per call the service takes 1 MB; the SDK splits a batch into such calls. A few calls per
  // batch keeps one send well inside the pipeline's send deadline.
  limits: { maxEvents: 10_000, maxBytes: 4 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => azureMonitorConfigProblems(config),
  create: (config: LoggingSinkConfig) => new AzureMonitorSink(settingsOf<AzureMonitorSettings>(config), credentialsOf<AzureMonitorCredentials>(config)),
};
