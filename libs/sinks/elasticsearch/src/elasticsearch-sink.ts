import type { LoggingSinkConfig } from '@tsp/config-crypto';
import {
  credentialsOf,
  DeliveryOutcome,
  HttpTransport,
  scrubSecrets,
  secretStrings,
  settingsOf,
  Sink,
  SinkEvent,
  SinkPlugin,
  transportFailure,
} from '@tsp/sinks-core';
import { bulkBody } from './bulk-body';
import { classifyBulkResponse } from './bulk-response';
import { authorizationHeader, ElasticsearchCredentials, ElasticsearchSettings, validateElasticsearchConfig } from './elasticsearch-config';

const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest _bulk answer read: one result per item, error reasons included, for up to 5000 items. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

function scrubOutcome(o: DeliveryOutcome, secrets: readonly string[]): DeliveryOutcome {
  if (o.kind === 'delivered') return o;
  if (o.kind === 'partial') return { kind: 'partial', failed: o.failed.map((f) => ({ ...f, reason: scrubSecrets(f.reason, secrets) })) };
  return { ...o, reason: scrubSecrets(o.reason, secrets) };
}

/**
 * `elasticsearch`: one POST <url>/_bulk per batch (NDJSON of `create` actions keyed by tspRayId,
 * see bulk-body.ts), classified item by item (bulk-response.ts). Works with Elasticsearch 7/8 and
 * OpenSearch (same _bulk API). One HttpTransport (keep-alive pools) per sink.
 */
export class ElasticsearchSink implements Sink {
  readonly type = 'elasticsearch';
  private readonly settings: ElasticsearchSettings;
  private readonly endpoint: string;
  private readonly authorization: string;
  private readonly secrets: string[];
  private readonly transport: HttpTransport;

  /** Precondition: `config` passed validateElasticsearchConfig. */
  constructor(config: LoggingSinkConfig) {
    const settings = settingsOf<ElasticsearchSettings>(config);
    const credentials = credentialsOf<ElasticsearchCredentials>(config);
    this.settings = settings;
    const base = settings.url.replace(/\/+$/, '');
    this.endpoint = `${base}/_bulk${settings.pipeline !== undefined ? `?pipeline=${encodeURIComponent(settings.pipeline)}` : ''}`;
    this.authorization = authorizationHeader(credentials);
    this.secrets = [...secretStrings(credentials), this.authorization.slice(this.authorization.indexOf(' ') + 1)];
    this.transport = new HttpTransport(settings.caCertificate, settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, { maxAnswerBytes: MAX_ANSWER_BYTES });
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = Buffer.from(bulkBody(batch, this.settings.index), 'utf8');
    try {
      const headers = { 'Content-Type': 'application/x-ndjson', Accept: 'application/json', Authorization: this.authorization };
      const answer = await this.transport.post(this.endpoint, body, headers, signal);
      return scrubOutcome(classifyBulkResponse(answer.status, answer.retryAfter, answer.body, batch.length), this.secrets);
    } catch (err) {
      return transportFailure('elasticsearch', err);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
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
