import { request } from 'node:http';
import { sendJson, writeJsonText } from './json-answer';
import { generateLoopbackCertificate } from './loopback-certificate';
import { requestLoopback } from './loopback-request';
import { guardedListener, startLoopbackServer } from './loopback-server';

describe('startLoopbackServer', () => {
  it('listens on 127.0.0.1 only, with a URL naming it', async () => {
    const server = await startLoopbackServer((_req, res) => sendJson(res, 200, { ok: true }, { 'x-extra': '1' }));
    try {
      expect(server.server.address()).toMatchObject({ address: '127.0.0.1', port: server.port });
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const answer = await requestLoopback(server.url);
      expect([answer.status, answer.body]).toEqual([200, '{"ok":true}']);
      expect(answer.headers).toMatchObject({ 'content-type': 'application/json', 'content-length': '11', 'x-extra': '1' });
    } finally {
      await server.stop();
    }
  });

  it('serves https with a generated loopback certificate, trusted as its own CA', async () => {
    const tls = generateLoopbackCertificate();
    const server = await startLoopbackServer((_req, res) => writeJsonText(res, 201, '[]', {}, 'application/json; charset=utf-8'), { tls });
    try {
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      const answer = await requestLoopback(server.url, { ca: tls.cert });
      expect([answer.status, answer.body, answer.headers['content-type']]).toEqual([201, '[]', 'application/json; charset=utf-8']);
      await expect(requestLoopback(server.url)).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });

  it('stop() closes kept-alive and hanging connections and resolves', async () => {
    const server = await startLoopbackServer((req, res) => {
      if (req.url === '/hang') return; // never answered
      sendJson(res, 200, {});
    });
    const closed: string[] = [];
    const hanging = new Promise<void>((resolve) => {
      const req = request(`${server.url}/hang`, { method: 'GET' });
      req.on('error', () => {
        closed.push('hang');
        resolve();
      });
      req.end();
    });
    const agentCall = await requestLoopback(server.url);
    expect(agentCall.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    await server.stop();
    await hanging;
    expect(closed).toEqual(['hang']);
    await expect(requestLoopback(server.url)).rejects.toThrow();
  });

  it('guardedListener answers a failed handler with the fake\'s own failure answer, once, and reports the error', async () => {
    const errors: unknown[] = [];
    const server = await startLoopbackServer(
      guardedListener(
        async (req, res) => {
          if (req.url === '/late') sendJson(res, 200, { sent: true });
          throw new Error('handler failed');
        },
        (res) => sendJson(res, 500, { error: 'fake failure' }),
        (e) => errors.push(e),
      ),
    );
    try {
      const failed = await requestLoopback(`${server.url}/early`);
      expect([failed.status, failed.body]).toEqual([500, '{"error":"fake failure"}']);
      const answered = await requestLoopback(`${server.url}/late`);
      expect([answered.status, answered.body]).toEqual([200, '{"sent":true}']);
      expect(errors.map((e) => (e as Error).message)).toEqual(['handler failed', 'handler failed']);
    } finally {
      await server.stop();
    }
  });

  it('rejects when the port is taken', async () => {
    const first = await startLoopbackServer((_req, res) => sendJson(res, 200, {}));
    try {
      await expect(startLoopbackServer((_req, res) => sendJson(res, 200, {}), { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  it('requestLoopback refuses any host but the loopback one', () => {
    expect(() => requestLoopback('http://example.com/')).toThrow(/127\.0\.0\.1/);
  });
});
