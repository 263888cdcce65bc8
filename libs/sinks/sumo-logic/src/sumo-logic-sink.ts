import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import {
  classifyHttpStatus,
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
import { HttpTransport } from '@tsp/sinks-core';
import { SUMO_LOGIC_DEFAULTS, SumoLogicCredentials, SumoLogicSettings, sumoUrlSecrets, validateSumoLogicConfig } from './sumo-logic-config';

const gzipAsync = promisify(gzip);

/** Removes every secret from the reason of an outcome. */
function scrub(outcome: DeliveryOutcome, secrets: readonly string[]): DeliveryOutcome {
  if (outcome.kind === 'delivered') return outcome;
  if (outcome.kind === 'partial') return { kind: 'partial', failed: outcome.failed.map((f) => ({ ...f, reason: scrubSecrets(f.reason, secrets) })) };
  return { ...outcome, reason: scrubSecrets(outcome.reason, secrets) };
}

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
export class SumoLogicSink implements Sink {
  readonly type = 'sumo-logic';
  private readonly url: string;
  private readonly transport: HttpTransport;
  private readonly secrets: string[];
  private readonly headers: Record<string, string>;
  private readonly compress: boolean;

  constructor(settings: SumoLogicSettings, credentials: SumoLogicCredentials) {
    this.url = credentials.url;
    this.transport = new HttpTransport(settings.caCertificate, settings.timeoutMs ?? SUMO_LOGIC_DEFAULTS.timeoutMs);
    this.secrets = [...secretStrings(credentials), ...sumoUrlSecrets(credentials.url)];
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
    try {
      const text = buildSumoBody(batch);
      const body = this.compress ? await gzipAsync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
      const answer = await this.transport.post(this.url, body, this.headers, signal);
      return scrub(classifyHttpStatus(this.type, answer.status, answer.retryAfter), this.secrets);
    } catch (err) {
      return scrub(transportFailure(this.type, err), this.secrets);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
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
