import { sendJson } from './json-answer';
import { requestLoopback } from './loopback-request';
import { startLoopbackServer } from './loopback-server';
import { actOutSilentFault, SilentOutcome } from './silent-fault';

describe('actOutSilentFault', () => {
  it("'drop' resets the connection, 'hang' never answers until stop(), any other kind is the caller's", async () => {
    const outcomes: (SilentOutcome | undefined)[] = [];
    const server = await startLoopbackServer((req, res) => {
      const kind = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('fault') ?? undefined;
      const outcome = actOutSilentFault(kind, req);
      outcomes.push(outcome);
      if (outcome === undefined) sendJson(res, 503, { kind });
    });
    try {
      await expect(requestLoopback(`${server.url}/?fault=drop`, { method: 'POST', body: 'x' })).rejects.toThrow();
      const other = await requestLoopback(`${server.url}/?fault=unavailable`);
      expect([other.status, other.body]).toEqual([503, '{"kind":"unavailable"}']);
      let settled = false;
      const hung = requestLoopback(`${server.url}/?fault=hang`, { method: 'POST', body: 'y'.repeat(100_000) }).finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false);
      await server.stop();
      await expect(hung).rejects.toThrow();
      expect(outcomes).toEqual(['dropped', undefined, 'hung']);
    } finally {
      await server.stop();
    }
  });
});
