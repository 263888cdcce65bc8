import type { LoggingSinkConfig } from '@tsp/config-crypto';
import {
  classifyHttpStatus,
  credentialsOf,
  DeliveryOutcome,
  encodeBody,
  HttpSink,
  HttpTransport,
  secretStrings,
  settingsOf,
  SinkEvent,
  SinkHost,
  SinkPlugin,
} from '@tsp/sinks-core';
import { SUMO_LOGIC_DEFAULTS, SumoLogicCredentials, SumoLogicSettings, sumoUrlSecrets, validateSumoLogicConfig } from './sumo-logic-config';

/** The body of one POST: the delivered JSON of each event, one per line. */
export function buildSumoBody(batch: readonly SinkEvent[]): string {
  let out = '';
  for (const e of batch) out += `${e.json}\n`;
  return out;
}

/**
 * `sumo-logic`: one POST per batch to the HTTP source URL (credentials.url, the secret), the
 * delivered events one per line, gzip-compressed unless settings.compress is false, with
 * X-Sumo-Category / X-Sumo-Name / X-Sumo-Host from settings. An HTTP source takes or refuses a
 * request whole: 2xx delivered; 401 (unknown or deleted URL) retry marked auth; 408, 429, 5xx retry
 * honouring Retry-After; 413 and other 4xx reject. Reasons hold the status only (never the URL).
 * Precondition: the config passed validateSumoLogicConfig.
 */
export class SumoLogicSink extends HttpSink {
  readonly type = 'sumo-logic';
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly compress: boolean;

  constructor(settings: SumoLogicSettings, credentials: SumoLogicCredentials) {
    super(new HttpTransport(settings.caCertificate, settings.timeoutMs ?? SUMO_LOGIC_DEFAULTS.timeoutMs), [
      ...secretStrings(credentials),
      ...sumoUrlSecrets(credentials.url),
    ]);
    this.url = credentials.url;
    this.compress = settings.compress ?? SUMO_LOGIC_DEFAULTS.compress;
    this.headers = {
      'Content-Type': 'text/plain; charset=utf-8',
      ...(this.compress ? { 'Content-Encoding': 'gzip' } : {}),
      ...(settings.category !== undefined ? { 'X-Sumo-Category': settings.category } : {}),
      ...(settings.name !== undefined ? { 'X-Sumo-Name': settings.name } : {}),
      ...(settings.host !== undefined ? { 'X-Sumo-Host': settings.host } : {}),
    };
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    return this.post(this.url, encodeBody(buildSumoBody(batch), this.compress), this.headers, signal, (answer) => classifyHttpStatus(this.type, answer.status, answer.retryAfter));
  }
}

export const sumoLogicSinkPlugin: SinkPlugin = {
  type: 'sumo-logic',
  // Sumo documents 1 MB (uncompressed) as the most one request should carry; maxBytes counts
  // characters, so it leaves room for multi-byte UTF-8.
  limits: { maxEvents: 5000, maxBytes: 800_000 },
  validate: (config: LoggingSinkConfig) => validateSumoLogicConfig(config),
  create: (config: LoggingSinkConfig, _host: SinkHost) => new SumoLogicSink(settingsOf<SumoLogicSettings>(config), credentialsOf<SumoLogicCredentials>(config)),
};
