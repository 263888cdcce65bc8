import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { credentialsOf, DeliveryOutcome, HttpSink, HttpTransport, secretStrings, settingsOf, SinkEvent, SinkPlugin } from '@tsp/sinks-core';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, WebhookCredentials, webhookConfigProblems, WebhookSettings } from './webhook-config';
import { classifyWebhookAnswer } from './webhook-response';
import { DELIVERY_ID_HEADER, deliveryIdOf, SIGNATURE_HEADER, webhookBody, webhookSignature } from './webhook-signature';

/** Largest answer body read from a receiver (a 207 lists at most maxEvents items). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * `webhook`: each batch is one signed POST of `{"events":[...]}` to the tenant's receiver
 * (docs/sinks/webhook.md). One HttpTransport (keep-alive pools, caCertificate trusted in addition
 * to the system roots, no proxy from the environment) per sink; redirects are not followed (the
 * signed body must not go to another host); the answer is classified by classifyWebhookAnswer.
 */
export class WebhookSink extends HttpSink {
  readonly type = 'webhook';

  /** `settings` and `credentials` must have passed webhookConfigProblems. */
  constructor(
    private readonly settings: WebhookSettings,
    private readonly credentials: WebhookCredentials,
    private readonly now: () => number = Date.now,
  ) {
    const transport = new HttpTransport(settings.caCertificate, settings.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, { maxAnswerBytes: MAX_ANSWER_BYTES, maxSockets: 8 });
    super(transport, secretStrings(credentials));
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
    return this.post(this.settings.url, body, headers, signal, (answer) => classifyWebhookAnswer(answer.status, answer.body, answer.retryAfter, batch.length, this.secrets));
  }
}

export const webhookSinkPlugin: SinkPlugin = {
  type: 'webhook',
  // Our own contract: receivers must accept at least this much in one request.
  limits: { maxEvents: 1000, maxBytes: 5 * 1024 * 1024 },
  validate: (config: LoggingSinkConfig) => webhookConfigProblems(config),
  create: (config: LoggingSinkConfig) => new WebhookSink(settingsOf<WebhookSettings>(config), credentialsOf<WebhookCredentials>(config)),
};
