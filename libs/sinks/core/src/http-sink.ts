import type { HttpAnswer, HttpTransport } from './http-transport';
import { HttpSinkPost, postAndClassify } from './http-send';
import type { DeliveryOutcome, Sink, SinkEvent } from './sink';

/**
 * The common part of a sink that sends each batch as one HTTP request over its own HttpTransport:
 * it owns the transport (closed by close()) and the secrets every outcome is scrubbed of, and
 * `post` sends and classifies one request (postAndClassify, naming the service by `type`).
 * A subclass builds the body and headers of its service and classifies its answers.
 */
export abstract class HttpSink implements Sink {
  abstract readonly type: string;

  /**
   * `transport`: this sink's own (never shared: close() destroys its pools); `secrets`: every
   * secret the sink holds (credentials, derived tokens, secret URL parts).
   */
  protected constructor(
    protected readonly transport: HttpTransport,
    protected readonly secrets: readonly string[],
  ) {}

  abstract send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<DeliveryOutcome>;

  /** POSTs `body` to `url` and classifies the answer; see postAndClassify. Never rejects. */
  protected post(
    url: string,
    body: HttpSinkPost['body'],
    headers: Record<string, string>,
    signal: AbortSignal,
    classify: (answer: HttpAnswer) => DeliveryOutcome,
  ): Promise<DeliveryOutcome> {
    return postAndClassify({ service: this.type, transport: this.transport, url, body, headers, secrets: this.secrets }, signal, classify);
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
