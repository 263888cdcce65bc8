import { createServer, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WireEvent } from '@tsp/events';

/** One batch the intake received, and when (Date.now()) it answered 200, if it did. */
export interface GatedBatch {
  events: WireEvent[];
  receivedAt: number;
  answeredAt?: number;
}

/**
 * A loopback logdriver intake (`POST /v1/events`) for strict audit tests: `hold()` keeps every
 * answer back until `release()` (so a test can prove nobody was answered before their event was
 * acknowledged), `failing` answers 503 with the logdriver's error body, and each batch records
 * when it was received and when it was acknowledged with 200.
 */
export class GatedIntake {
  /** Batches acknowledged with 200, in answer order. */
  readonly batches: GatedBatch[] = [];
  /** Requests received (answered or not). */
  requests = 0;
  /** Requests answered 503 while `failing`. */
  failed = 0;
  failing = false;
  private holding = false;
  private held: { events: number; answer: () => void }[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/events') {
        res.writeHead(404).end();
        return;
      }
      this.requests++;
      const batch: GatedBatch = { events: (JSON.parse(body) as { events: WireEvent[] }).events, receivedAt: Date.now() };
      const answer = (): void => this.answer(batch, res);
      if (this.holding) this.held.push({ events: batch.events.length, answer });
      else answer();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Holds every answer from now on until release(). */
  hold(): void {
    this.holding = true;
  }

  /** Answers everything held (in arrival order) and stops holding. */
  release(): void {
    this.holding = false;
    for (const h of this.held.splice(0)) h.answer();
  }

  /** Requests received and not yet answered. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Events in the requests held. */
  get heldEvents(): number {
    return this.held.reduce((n, h) => n + h.events, 0);
  }

  /** Every event acknowledged (answered 200), in order. */
  acknowledged(): WireEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  /** When the batch holding the event with this requestId was acknowledged. */
  acknowledgedAt(requestId: string): number | undefined {
    return this.batches.find((b) => b.events.some((e) => e.iclFields.requestId === requestId))?.answeredAt;
  }

  stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private answer(batch: GatedBatch, res: ServerResponse): void {
    if (this.failing) {
      this.failed++;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":100,"message":"spool unavailable"}');
      return;
    }
    batch.answeredAt = Date.now();
    this.batches.push(batch);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: batch.events.length, duplicates: 0 }));
  }
}
