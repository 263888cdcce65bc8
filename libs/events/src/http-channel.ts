import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { AxiosInstance } from 'axios';
import type { EventChannel } from './event-queue';
import { toWireEvent } from './intake-contract';
import type { SecurityEventRecord } from './security-event';

/**
 * Sends batches to the logdriver's intake (`POST <url>/v1/events`, body `{"events": [...]}`),
 * over keep-alive connections. A batch counts as handed over only when the logdriver answers
 * 200, i.e. after it committed the batch to its disk spool; anything else rejects, and the queue
 * keeps the batch and retries it with backoff. Each event carries its unique id (`eventId`, the
 * tspRayId), so a batch re-sent after a lost answer is de-duplicated by the logdriver.
 */
export class HttpEventChannel implements EventChannel {
  private readonly http: AxiosInstance;
  private readonly url: string;

  constructor(baseUrl: string, timeoutMs: number) {
    this.url = `${baseUrl.replace(/\/+$/, '')}/v1/events`;
    this.http = axios.create({
      timeout: timeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 4 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 4 }),
      headers: { 'content-type': 'application/json' },
      // The body is already JSON text: axios would parse and re-check it otherwise.
      transformRequest: [(d: unknown) => d],
    });
  }

  async send(batch: readonly SecurityEventRecord[]): Promise<void> {
    const res = await this.http.post(this.url, JSON.stringify({ events: batch.map(toWireEvent) }));
    if (res.status !== 200) {
      const detail = typeof res.data === 'object' && res.data !== null && 'message' in res.data ? `: ${String((res.data as { message: unknown }).message)}` : '';
      throw new Error(`logdriver answered HTTP ${res.status}${detail}`);
    }
  }
}
