import { generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@tsp/observability';
import { buildBrokerApp } from '../broker-app';
import { openTestRepository, TestRepository } from './test-repository';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined when empty or not JSON); tests cast it to the documented type. */
  body: unknown;
}

export interface BrokerHarness {
  url: string;
  repo: TestRepository;
  adminToken: string;
  brokerSigningKey: KeyObject;
  brokerPublicKey: KeyObject;
  /** Every answer's text and every log line so far: tests search them for secrets. */
  transcript(): string;
  /** The clock the broker sees (ms); tests may move it. */
  clock: { offsetMs: number };
  routes: string[];
  /** Config document requests long-polling right now. */
  waiters(): number;
  /** An admin request (Bearer token) unless `headers.authorization` is given ('' sends none). */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  raw(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<Answer>;
  close(): Promise<void>;
}

/** The real broker app on 127.0.0.1, port 0, over the real SQLite repository (a temp file). */
export async function startBroker(opts: { publicPath?: string; maxDocumentWaiters?: number } = {}): Promise<BrokerHarness> {
  const repo = openTestRepository();
  const adminToken = randomBytes(24).toString('base64url');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', service: 'broker-test', stream });
  const clock = { offsetMs: 0 };
  // The public URL's port is unknown until listening; the prefix matters, the host does not.
  const { app, routes, documentWaiters } = buildBrokerApp({
    repo,
    adminToken,
    brokerSigningKey: privateKey,
    sessionKey: randomBytes(32),
    publicUrl: `http://127.0.0.1:9500${opts.publicPath ?? ''}`,
    logger,
    now: () => Date.now() + clock.offsetMs,
    ...(opts.maxDocumentWaiters !== undefined ? { maxDocumentWaiters: opts.maxDocumentWaiters } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;

  const raw = async (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const res = await fetch(`${url}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
    const text = await res.text();
    lines.push(text);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: res.headers, text, body };
  };

  return {
    url,
    repo,
    adminToken,
    brokerSigningKey: privateKey,
    brokerPublicKey: publicKey,
    clock,
    routes,
    waiters: () => documentWaiters.size,
    transcript: () => lines.join('\n'),
    raw,
    admin: (method, path, body, headers = {}) => {
      const h: Record<string, string> = { ...headers };
      if (h['authorization'] === undefined) h['authorization'] = `Bearer ${adminToken}`;
      if (h['authorization'] === '') delete h['authorization'];
      if (body !== undefined) h['content-type'] = 'application/json';
      return raw(method, path, { headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    },
    close: async () => {
      await app.close();
      await repo.close();
    },
  };
}
