import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import {
  credentialsOf,
  DeliveryOutcome,
  scrubSecrets,
  secretStrings,
  settingsOf,
  Sink,
  SinkEvent,
  SinkHost,
  SinkPlugin,
  transportFailure,
} from '@tsp/sinks-core';
import { classifyHecAnswer } from './hec-outcome';
import { buildHecBody, HecMetadata } from './hec-request';
import { HttpTransport } from '@tsp/sinks-core';
import { hecEventEndpoint, SPLUNK_HEC_DEFAULTS, SplunkHecCredentials, SplunkHecSettings, validateSplunkHecConfig } from './splunk-hec-config';

const gzipAsync = promisify(gzip);

/** Removes every secret from the reasons of an outcome. */
export function scrubOutcome(outcome: DeliveryOutcome, secrets: readonly string[]): DeliveryOutcome {
  switch (outcome.kind) {
    case 'delivered':
      return outcome;
    case 'partial':
      return { kind: 'partial', failed: outcome.failed.map((f) => ({ ...f, reason: scrubSecrets(f.reason, secrets) })) };
    default:
      return { ...outcome, reason: scrubSecrets(outcome.reason, secrets) };
  }
}

/**
 * `splunk-hec`: one POST per batch to <url>/services/collector/event with
 * `Authorization: Splunk <token>`, the body one HEC envelope per event (see hec-request.ts),
 * answered as classified in hec-outcome.ts. Each instance has its own keep-alive pool and its own
 * channel id (X-Splunk-Request-Channel), so a token with indexer acknowledgement accepts it too.
 * Precondition: the config passed validateSplunkHecConfig.
 */
export class SplunkHecSink implements Sink {
  readonly type = 'splunk-hec';
  private readonly endpoint: string;
  private readonly meta: HecMetadata;
  private readonly transport: HttpTransport;
  private readonly secrets: string[];
  private readonly headers: Record<string, string>;
  private readonly compress: boolean;

  constructor(settings: SplunkHecSettings, credentials: SplunkHecCredentials) {
    this.endpoint = hecEventEndpoint(settings.url);
    this.meta = {
      host: settings.host ?? hostname(),
      source: settings.source ?? SPLUNK_HEC_DEFAULTS.source,
      sourcetype: settings.sourcetype ?? SPLUNK_HEC_DEFAULTS.sourcetype,
      index: settings.index,
    };
    this.transport = new HttpTransport(settings.caCertificate, settings.timeoutMs ?? SPLUNK_HEC_DEFAULTS.timeoutMs);
    this.secrets = secretStrings(credentials);
    this.compress = settings.compress ?? false;
    this.headers = {
      Authorization: `Splunk ${credentials.token}`,
      'Content-Type': 'application/json; charset=utf-8',
      'X-Splunk-Request-Channel': randomUUID(),
      ...(this.compress ? { 'Content-Encoding': 'gzip' } : {}),
    };
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    try {
      const text = buildHecBody(batch, this.meta);
      const body = this.compress ? await gzipAsync(Buffer.from(text, 'utf8')) : text;
      const answer = await this.transport.post(this.endpoint, body, this.headers, signal);
      return scrubOutcome(classifyHecAnswer(answer.status, answer.retryAfter, answer.body, batch.length), this.secrets);
    } catch (err) {
      return scrubOutcome(transportFailure(this.type, err), this.secrets);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

export const splunkHecSinkPlugin: SinkPlugin = {
  type: 'splunk-hec',
  // Splunk Cloud caps a HEC request at 1 MB; each envelope adds ~150 bytes of metadata.
  limits: { maxEvents: 1000, maxBytes: 800_000 },
  validate: (config: LoggingSinkConfig) => validateSplunkHecConfig(config),
  create: (config: LoggingSinkConfig, _host: SinkHost) => new SplunkHecSink(settingsOf<SplunkHecSettings>(config), credentialsOf<SplunkHecCredentials>(config)),
};
