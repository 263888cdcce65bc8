import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WireEvent } from '@tsp/events';

/**
 * A loopback stand-in for the logdriver intake (`POST /v1/events`): records the batches it
 * accepts and fails the first `failFirst` with 503. For tests of the proxy's event channel.
 */
export class IntakeStandIn {
  batches: WireEvent[][] = [];
  times: number[] = [];
  failFirst = 0;
  /** Events of these tenants are answered as refused (the logdriver's quota). */
  refuseTenants = new Set<string>();
  /** Batches with more events than this get 413 (the logdriver's body limit). */
  maxEvents = Infinity;
  /** Every batch gets 400 (a contract mismatch). */
  badRequest = false;
  private server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      this.times.push(Date.now());
      if (req.method !== 'POST' || req.url !== '/v1/events') {
        res.writeHead(404).end();
        return;
      }
      if (this.failFirst > 0) {
        this.failFirst--;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":100,"message":"spool unavailable"}');
        return;
      }
      const events = (JSON.parse(body) as { events: WireEvent[] }).events;
      if (this.badRequest || events.length > this.maxEvents) {
        res.writeHead(this.badRequest ? 400 : 413, { 'content-type': 'application/json' }).end('{"code":102,"message":"refused"}');
        return;
      }
      const kept = events.filter((e) => !this.refuseTenants.has(e.tenantId));
      const refused = events.filter((e) => this.refuseTenants.has(e.tenantId)).map((e) => e.eventId);
      this.batches.push(kept);
      const answer = { accepted: kept.length, duplicates: 0, ...(refused.length > 0 ? { refused: refused.length, refusedEventIds: refused } : {}) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
