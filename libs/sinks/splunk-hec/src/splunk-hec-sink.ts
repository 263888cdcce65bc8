import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { credentialsOf, DeliveryOutcome, encodeBody, HttpSink, HttpTransport, secretStrings, settingsOf, SinkEvent, SinkHost, SinkPlugin } from '@tsp/sinks-core';
import { classifyHecAnswer } from './hec-outcome';
import { buildHecBody, HecMetadata } from './hec-request';
import { hecEventEndpoint, SPLUNK_HEC_DEFAULTS, SplunkHecCredentials, SplunkHecSettings, validateSplunkHecConfig } from './splunk-hec-config';

/**
 * `splunk-hec`: one POST per batch to <url>/services/collector/event with
 * `Authorization: Splunk <token>`, the body one HEC envelope per event (see hec-request.ts),
 * answered as classified in hec-outcome.ts. Each instance has its own keep-alive pool and its own
 * channel id (X-Splunk-Request-Channel), so a token with indexer acknowledgement accepts it too.
 * Precondition: the config passed validateSplunkHecConfig.
 */
export class SplunkHecSink extends HttpSink {
  readonly type = 'splunk-hec';
  private readonly endpoint: string;
  private readonly meta: HecMetadata;
  private readonly headers: Record<string, string>;
  private readonly compress: boolean;

  constructor(settings: SplunkHecSettings, credentials: SplunkHecCredentials) {
    super(new HttpTransport(settings.caCertificate, settings.timeoutMs ?? SPLUNK_HEC_DEFAULTS.timeoutMs), secretStrings(credentials));
    this.endpoint = hecEventEndpoint(settings.url);
    this.meta = {
      host: settings.host ?? hostname(),
      source: settings.source ?? SPLUNK_HEC_DEFAULTS.source,
      sourcetype: settings.sourcetype ?? SPLUNK_HEC_DEFAULTS.sourcetype,
      index: settings.index,
    };
    this.compress = settings.compress ?? false;
    this.headers = {
      Authorization: `Splunk ${credentials.token}`,
      'Content-Type': 'application/json; charset=utf-8',
      'X-Splunk-Request-Channel': randomUUID(),
      ...(this.compress ? { 'Content-Encoding': 'gzip' } : {}),
    };
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = encodeBody(buildHecBody(batch, this.meta), this.compress);
    return this.post(this.endpoint, body, this.headers, signal, (answer) => classifyHecAnswer(answer.status, answer.retryAfter, answer.body, batch.length));
  }
}

export const splunkHecSinkPlugin: SinkPlugin = {
  type: 'splunk-hec',
  // Splunk Cloud caps a HEC request at 1 MB; each envelope adds ~150 bytes of metadata.
  limits: { maxEvents: 1000, maxBytes: 800_000 },
  validate: (config: LoggingSinkConfig) => validateSplunkHecConfig(config),
  create: (config: LoggingSinkConfig, _host: SinkHost) => new SplunkHecSink(settingsOf<SplunkHecSettings>(config), credentialsOf<SplunkHecCredentials>(config)),
};
