import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import axios, { AxiosInstance } from 'axios';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { credentialsOf, DeliveryOutcome, secretStrings, settingsOf, Sink, SinkEvent, SinkPlugin, transportFailure } from '@tsp/sinks-core';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, WebhookCredentials, webhookConfigProblems, WebhookSettings } from './webhook-config';
import { classifyWebhookAnswer } from './webhook-response';
import { DELIVERY_ID_HEADER, deliveryIdOf, SIGNATURE_HEADER, webhookBody, webhookSignature } from './webhook-signature';

/** Largest answer body read from a receiver (a 207 lists at most maxEvents items). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * `webhook`: each batch is one signed POST of `{"events":[...]}` to the tenant's receiver
 * (docs/sinks/webhook.md). One keep-alive agent per sink; redirects are not followed (the signed
 * body must not go to another host); the answer is classified by classifyWebhookAnswer.
 */
export class WebhookSink implements Sink {
  readonly type = 'webhook';
  private readonly http: AxiosInstance;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secrets: string[];

  /** `settings` and `credentials` must have passed webhookConfigProblems. */
  constructor(
    private readonly settings: WebhookSettings,
    private readonly credentials: WebhookCredentials,
    private readonly now: () => number = Date.now,
  ) {
    this.secrets = secretStrings(credentials);
    const insecure = new URL(settings.url).protocol === 'http:';
    this.agent = insecure
      ? new HttpAgent({ keepAlive: true, maxSockets: 8 })
      : new HttpsAgent({
          keepAlive: true,
          maxSockets: 8,
          // A private CA is trusted in addition to (not instead of) the system roots.
          ...(settings.caCertificate === undefined ? {} : { ca: [...rootCertificates, settings.caCertificate] }),
        });
    this.http = axios.create({
      ...(insecure ? { httpAgent: this.agent } : { httpsAgent: this.agent }),
      proxy: false,
      maxRedirects: 0,
      timeout: settings.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: (d: unknown) => d,
      maxContentLength: MAX_ANSWER_BYTES,
      maxBodyLength: Infinity,
    });
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = webhookBody(batch);
    const headers: Record<string, string> = {
      ...(this.settings.headers ?? {}),
      ...(this.credentials.headers ?? {}),
      'Content-Type': 'application/json',
      [DELIVERY_ID_HEADER]: deliveryIdOf(batch),
      [SIGNATURE_HEADER]: webhookSignature(this.credentials.secret, body, Math.floor(this.now() / 1000)),
    };
    try {
      const res = await this.http.post<string>(this.settings.url, body, { headers, signal });
      const text = typeof res.data === 'string' ? res.data : '';
      const retryAfter = res.headers['retry-after'] as string | undefined;
      return classifyWebhookAnswer(res.status, text, retryAfter, batch.length, this.secrets);
    } catch (e) {
      return transportFailure('webhook', e);
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

export const webhookSinkPlugin: SinkPlugin = {
  type: 'webhook',
  // Our own contract: receivers must accept at least this much in one request.
  limits: { maxEvents: 1000, maxBytes: 5 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => webhookConfigProblems(config),
  create: (config: LoggingSinkConfig) => new WebhookSink(settingsOf<WebhookSettings>(config), credentialsOf<WebhookCredentials>(config)),
};
