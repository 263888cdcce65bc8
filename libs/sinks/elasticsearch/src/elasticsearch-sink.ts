import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { credentialsOf, DeliveryOutcome, HttpSink, HttpTransport, secretStrings, settingsOf, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { bulkBody } from './bulk-body';
import { classifyBulkResponse } from './bulk-response';
import { authorizationHeader, ElasticsearchCredentials, ElasticsearchSettings, validateElasticsearchConfig } from './elasticsearch-config';

const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest _bulk answer read: one result per item, error reasons included, for up to 5000 items. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * `elasticsearch`: one POST <url>/_bulk per batch (NDJSON of `create` actions keyed by tspRayId,
 * see bulk-body.ts), classified item by item (bulk-response.ts). Works with Elasticsearch 7/8 and
 * OpenSearch (same _bulk API). One HttpTransport (keep-alive pools) per sink.
 */
export class ElasticsearchSink extends HttpSink {
  readonly type = 'elasticsearch';
  private readonly settings: ElasticsearchSettings;
  private readonly endpoint: string;
  private readonly authorization: string;

  /** Precondition: `config` passed validateElasticsearchConfig. */
  constructor(config: LoggingSinkConfig) {
    const settings = settingsOf<ElasticsearchSettings>(config);
    const credentials = credentialsOf<ElasticsearchCredentials>(config);
    const authorization = authorizationHeader(credentials);
    super(new HttpTransport(settings.caCertificate, settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, { maxAnswerBytes: MAX_ANSWER_BYTES }), [
      ...secretStrings(credentials),
      authorization.slice(authorization.indexOf(' ') + 1),
    ]);
    this.settings = settings;
    const base = settings.url.replace(/\/+$/, '');
    this.endpoint = `${base}/_bulk${settings.pipeline !== undefined ? `?pipeline=${encodeURIComponent(settings.pipeline)}` : ''}`;
    this.authorization = authorization;
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = Buffer.from(bulkBody(batch, this.settings.index), 'utf8');
    const headers = { 'Content-Type': 'application/x-ndjson', Accept: 'application/json', Authorization: this.authorization };
    return this.post(this.endpoint, body, headers, signal, (answer) => classifyBulkResponse(answer.status, answer.retryAfter, answer.body, batch.length));
  }
}

/**
 * Limits: Elasticsearch accepts bodies up to http.max_content_length (100 MB by default) and
 * recommends bulk requests of a few MB to tens of MB; 10 MB of events (plus ~120 bytes of action
 * line and @timestamp per event) and 5000 events keep every request well inside that.
 */
export const elasticsearchSinkPlugin: SinkPlugin = {
  type: 'elasticsearch',
  limits: { maxEvents: 5000, maxBytes: 10 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => validateElasticsearchConfig(config),
  create: (config: LoggingSinkConfig) => new ElasticsearchSink(config),
};
