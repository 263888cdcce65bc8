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

  /**
   * 200: handed over, except the events the answer lists in `refusedEventIds` (tenant over its
   * quota). 413 (the batch is larger than the logdriver's body limit): the halves are sent one
   * after the other; a single event that is too large, or a 400 (a batch the logdriver can never
   * take: a contract mismatch), is refused rather than retried forever in front of every other
   * event. Anything else rejects (the queue retries with backoff).
   */
  async send(batch: readonly SecurityEventRecord[]): Promise<{ refused: readonly SecurityEventRecord[] }> {
    const res = await this.http.post(this.url, JSON.stringify({ events: batch.map(toWireEvent) }));
    if (res.status === 200) {
      const ids = (res.data as { refusedEventIds?: unknown } | null)?.refusedEventIds;
      if (!Array.isArray(ids) || ids.length === 0) return { refused: [] };
      const refused = new Set(ids.map(String));
      return { refused: batch.filter((e) => refused.has(e.iclFields.tspRayId)) };
    }
    if (res.status === 413 && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      const first = await this.send(batch.slice(0, half));
      const second = await this.send(batch.slice(half));
      return { refused: [...first.refused, ...second.refused] };
    }
    if (res.status === 413 || res.status === 400) return { refused: batch };
    const detail = typeof res.data === 'object' && res.data !== null && 'message' in res.data ? `: ${String((res.data as { message: unknown }).message)}` : '';
    throw new Error(`logdriver answered HTTP ${res.status}${detail}`);
  }
}
