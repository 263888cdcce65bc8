import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import {
  credentialsOf,
  DeliveryOutcome,
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

function scrubOutcome(o: DeliveryOutcome, secrets: readonly string[]): DeliveryOutcome {
  if (o.kind === 'delivered') return o;
  if (o.kind === 'partial') return { kind: 'partial', failed: o.failed.map((f) => ({ ...f, reason: scrubSecrets(f.reason, secrets) })) };
  return { ...o, reason: scrubSecrets(o.reason, secrets) };
}

/**
 * `elasticsearch`: one POST <url>/_bulk per batch (NDJSON of `create` actions keyed by tspRayId,
 * see bulk-body.ts), classified item by item (bulk-response.ts). Works with Elasticsearch 7/8 and
 * OpenSearch (same _bulk API). One keep-alive agent per sink.
 */
export class ElasticsearchSink implements Sink {
  readonly type = 'elasticsearch';
  private readonly settings: ElasticsearchSettings;
  private readonly endpoint: string;
  private readonly authorization: string;
  private readonly secrets: string[];
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent: HttpsAgent;

  /** Precondition: `config` passed validateElasticsearchConfig. */
  constructor(config: LoggingSinkConfig) {
    const settings = settingsOf<ElasticsearchSettings>(config);
    const credentials = credentialsOf<ElasticsearchCredentials>(config);
    this.settings = settings;
    const base = settings.url.replace(/\/+$/, '');
    this.endpoint = `${base}/_bulk${settings.pipeline !== undefined ? `?pipeline=${encodeURIComponent(settings.pipeline)}` : ''}`;
    this.authorization = authorizationHeader(credentials);
    this.secrets = [...secretStrings(credentials), this.authorization.slice(this.authorization.indexOf(' ') + 1)];
    this.httpsAgent = new HttpsAgent({ keepAlive: true, ...(settings.caCertificate !== undefined ? { ca: settings.caCertificate } : {}) });
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = Buffer.from(bulkBody(batch, this.settings.index), 'utf8');
    try {
      const res = await axios.request<string>({
        url: this.endpoint,
        method: 'POST',
        data: body,
        headers: { 'Content-Type': 'application/x-ndjson', Accept: 'application/json', Authorization: this.authorization },
        httpAgent: this.httpAgent,
        httpsAgent: this.httpsAgent,
        proxy: false,
        signal,
        timeout: this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBodyLength: Infinity,
        maxContentLength: 64 * 1024 * 1024,
        responseType: 'text',
        transformResponse: (d: unknown) => d,
        validateStatus: () => true,
      });
      const retryAfter = res.headers['retry-after'] as string | undefined;
      return scrubOutcome(classifyBulkResponse(res.status, retryAfter, typeof res.data === 'string' ? res.data : '', batch.length), this.secrets);
    } catch (err) {
      return transportFailure('elasticsearch', err);
    }
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
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
