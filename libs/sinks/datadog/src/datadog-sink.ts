import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { classifyHttpStatus, credentialsOf, DeliveryOutcome, encodeBody, HttpSink, HttpTransport, settingsOf, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { DatadogCredentials, DatadogSettings, DEFAULT_SERVICE, DEFAULT_SOURCE, validateDatadogConfig } from './datadog-config';
import { intakeBody, LogAttributes } from './intake-body';

const SERVICE = 'datadog';
const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest answer body read (the intake answers `{}` or a short error list). */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** The intake's documented limit of an uncompressed payload. */
export const DATADOG_MAX_PAYLOAD_BYTES = 5_000_000;

/** A short, secret-free detail from an intake error body ({"errors":["Forbidden"]} or [{title}]). */
function errorDetail(body: string): string | undefined {
  try {
    const first = (JSON.parse(body) as { errors?: unknown[] }).errors?.[0];
    const text = typeof first === 'string' ? first : typeof first === 'object' && first !== null ? (first as { title?: unknown }).title : undefined;
    return typeof text === 'string' && /^[A-Za-z0-9 .,_-]{1,80}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `datadog`: one POST <url>/api/v2/logs per batch, DD-API-KEY, JSON array (intake-body.ts),
 * gzip by default. The intake answers for the whole request (202 accepted; 400/413 reject;
 * 401/403 auth retry; 408/429/5xx retry with Retry-After, else X-RateLimit-Reset): there is no
 * item-level result, so never `partial`. One HttpTransport (keep-alive pools) per sink.
 */
export class DatadogSink extends HttpSink {
  readonly type = 'datadog';
  private readonly settings: DatadogSettings;
  private readonly endpoint: string;
  private readonly apiKey: string;
  private readonly attrs: LogAttributes;

  /** Precondition: `config` passed validateDatadogConfig. */
  constructor(config: LoggingSinkConfig) {
    const settings = settingsOf<DatadogSettings>(config);
    const apiKey = credentialsOf<DatadogCredentials>(config).apiKey;
    super(new HttpTransport(settings.caCertificate, settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, { maxAnswerBytes: MAX_ANSWER_BYTES }), [apiKey]);
    this.settings = settings;
    this.apiKey = apiKey;
    this.endpoint = `${this.settings.url.replace(/\/+$/, '')}/api/v2/logs`;
    const tags = this.settings.tags ?? [];
    this.attrs = {
      ddsource: this.settings.source ?? DEFAULT_SOURCE,
      service: this.settings.service ?? DEFAULT_SERVICE,
      ddtags: tags.length > 0 ? tags.join(',') : undefined,
      hostname: this.settings.hostname,
    };
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const text = Buffer.from(intakeBody(batch, this.attrs), 'utf8');
    if (text.length > DATADOG_MAX_PAYLOAD_BYTES) return { kind: 'reject', reason: 'datadog payload above the 5 MB intake limit' };
    const compress = this.settings.compress ?? true;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'DD-API-KEY': this.apiKey,
      ...(compress ? { 'Content-Encoding': 'gzip' } : {}),
    };
    return this.post(this.endpoint, encodeBody(text, compress), headers, signal, (answer) =>
      classifyHttpStatus(SERVICE, answer.status, answer.retryAfter ?? answer.headers['x-ratelimit-reset'], errorDetail(answer.body)),
    );
  }
}

/**
 * Limits: the intake takes at most 1000 logs and 5 MB uncompressed per request. The message is
 * the delivered JSON encoded once more as a JSON string, which at worst triples its UTF-8 size
 * (non-ASCII text), plus under 900 bytes of attributes per log (settings are bounded): 1.3 MB of events
 * can never exceed 5 MB.
 */
export const datadogSinkPlugin: SinkPlugin = {
  type: 'datadog',
  limits: { maxEvents: 1000, maxBytes: 1_300_000 },
  validate: (config: LoggingSinkConfig) => validateDatadogConfig(config),
  create: (config: LoggingSinkConfig) => new DatadogSink(config),
};
