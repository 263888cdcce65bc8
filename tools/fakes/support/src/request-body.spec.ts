import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './json-answer';
import { LoopbackServer, startLoopbackServer } from './loopback-server';
import { requestLoopback } from './loopback-request';
import { parseJsonLenient, readBody, readBodyOrDestroy, readCappedBody } from './request-body';

/** A server answering what its reader made of each request body. */
async function serve(read: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>): Promise<LoopbackServer> {
  return startLoopbackServer((req, res) => {
    read(req, res).then(
      (v) => sendJson(res, 200, v),
      () => undefined,
    );
  });
}

describe('readBody', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await serve(async (req) => {
      const raw = await readBody(req, 10);
      return raw === 'too-large' ? 'too-large' : raw.toString('utf8');
    });
  });
  afterAll(() => server.stop());

  it('returns a body up to the limit whole', async () => {
    expect(JSON.parse((await requestLoopback(server.url, { method: 'POST', body: '0123456789' })).body)).toBe('0123456789');
    expect(JSON.parse((await requestLoopback(server.url, { method: 'POST' })).body)).toBe('');
  });

  it("says 'too-large' past the limit, after reading it all, so the fake can still answer", async () => {
    const answer = await requestLoopback(server.url, { method: 'POST', body: 'x'.repeat(100_000) });
    expect([answer.status, JSON.parse(answer.body)]).toEqual([200, 'too-large']);
  });
});

describe('readCappedBody', () => {
  it('keeps the chunks within the cap and counts every byte', async () => {
    const server = await serve(async (req) => {
      const { data, size } = await readCappedBody(req, 4);
      return { kept: data.length, size };
    });
    try {
      expect(JSON.parse((await requestLoopback(server.url, { method: 'POST', body: 'abc' })).body)).toEqual({ kept: 3, size: 3 });
      const over = JSON.parse((await requestLoopback(server.url, { method: 'POST', body: 'y'.repeat(5000) })).body) as { kept: number; size: number };
      expect(over.size).toBe(5000);
      expect(over.kept).toBeLessThanOrEqual(4);
    } finally {
      await server.stop();
    }
  });
});

describe('readBodyOrDestroy', () => {
  it('returns a body within the limit, and resets the connection of one past it', async () => {
    const failures: unknown[] = [];
    const server = await startLoopbackServer((req, res) => {
      readBodyOrDestroy(req, 16).then(
        (b) => sendJson(res, 200, b.toString('utf8')),
        (e: unknown) => failures.push(e),
      );
    });
    try {
      expect(JSON.parse((await requestLoopback(server.url, { method: 'POST', body: 'small' })).body)).toBe('small');
      await expect(requestLoopback(server.url, { method: 'POST', body: 'z'.repeat(1_000_000) })).rejects.toThrow();
      expect(failures).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});

describe('parseJsonLenient', () => {
  it('parses JSON, answers undefined for anything else, and the given value for an empty text', () => {
    expect(parseJsonLenient('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseJsonLenient('null')).toBeNull();
    expect(parseJsonLenient('{nope')).toBeUndefined();
    expect(parseJsonLenient('')).toBeUndefined();
    expect(parseJsonLenient('', {})).toEqual({});
  });
});
