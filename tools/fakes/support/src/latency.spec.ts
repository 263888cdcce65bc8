import { request } from 'node:http';
import { sendJson } from './json-answer';
import { delayUnlessClosed, LatencyTimers } from './latency';
import { requestLoopback } from './loopback-request';
import { startLoopbackServer } from './loopback-server';

describe('LatencyTimers', () => {
  it('delays an answer by the latency asked', async () => {
    const timers = new LatencyTimers();
    const server = await startLoopbackServer((_req, res) => {
      void timers.sleep(150).then(() => sendJson(res, 200, {}));
    });
    try {
      const started = Date.now();
      expect((await requestLoopback(server.url)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      timers.clear();
      await server.stop();
    }
  });

  it('clear() cancels pending sleeps: they never resolve', async () => {
    const timers = new LatencyTimers();
    let woke = false;
    void timers.sleep(30).then(() => {
      woke = true;
    });
    timers.clear();
    await new Promise((r) => setTimeout(r, 80));
    expect(woke).toBe(false);
  });
});

describe('delayUnlessClosed', () => {
  it('ends early when the client goes away, so the fake can tell the request was abandoned', async () => {
    const seen: { waitedMs: number; destroyed: boolean }[] = [];
    const server = await startLoopbackServer((req, res) => {
      const started = Date.now();
      void delayUnlessClosed(5000, res).then(() => seen.push({ waitedMs: Date.now() - started, destroyed: req.socket.destroyed }));
    });
    try {
      const req = request(server.url);
      req.on('error', () => undefined);
      req.end();
      await new Promise((r) => setTimeout(r, 100));
      req.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).toHaveLength(1);
      expect(seen[0].waitedMs).toBeLessThan(1000);
      expect(seen[0].destroyed).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('waits the whole delay for a client that stays', async () => {
    const server = await startLoopbackServer((_req, res) => {
      void delayUnlessClosed(120, res).then(() => sendJson(res, 200, {}));
    });
    try {
      const started = Date.now();
      expect((await requestLoopback(server.url)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      await server.stop();
    }
  });
});
