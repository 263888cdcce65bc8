import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildConfigDocument, DocumentEnvelope, TenantConfig } from '@tsp/config-crypto';
import { ConfigLoader, LoadedConfig } from './config-loader';
import { createConfigSource, HttpConfigSource, urlForLogs } from './config-source';

const broker = generateKeyPairSync('ed25519');
const sa = generateKeyPairSync('x25519');
const saSigning = generateKeyPairSync('ed25519');
const SA_ID = 'sa-test';

function tenant(id: string): TenantConfig {
  return { tenantId: id, kmsConfigs: [], secrets: [] };
}

function doc(sequence: number, tenants: TenantConfig[]): DocumentEnvelope {
  return buildConfigDocument({ serviceAccountId: SA_ID, serviceAccountPublicKey: sa.publicKey, brokerSigningKey: broker.privateKey, sequence, tenants });
}

/** A loopback stand-in for the broker's document endpoint: ETag, 304, request log. */
class DocServer {
  body = '';
  etag = '"1"';
  status = 200;
  requests: IncomingMessage[] = [];
  /** Long-polls held until the document changes (publish) or their wait passes. */
  private held: { etag: string; answer: () => void }[] = [];
  private server: Server = createServer((req, res) => {
    this.requests.push(req);
    if (this.status !== 200) {
      res.writeHead(this.status).end('broken');
      return;
    }
    const answer = (): void => {
      if (req.headers['if-none-match'] === this.etag) res.writeHead(304).end();
      else res.writeHead(200, { etag: this.etag, 'content-type': 'application/json' }).end(this.body);
    };
    const wait = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('wait') ?? 0);
    if (wait > 0 && req.headers['if-none-match'] === this.etag) {
      const entry = { etag: this.etag, answer };
      this.held.push(entry);
      setTimeout(() => {
        if (this.held.includes(entry)) {
          this.held = this.held.filter((h) => h !== entry);
          answer();
        }
      }, wait * 1000).unref();
      return;
    }
    answer();
  });

  /** A new document: every held long-poll is answered at once. */
  publish(body: string, etag: string): void {
    this.body = body;
    this.etag = etag;
    const held = this.held;
    this.held = [];
    for (const h of held) h.answer();
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/config-document`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function loader(url: string, applied: LoadedConfig[], outcomes: string[], longPollSeconds = 0): ConfigLoader {
  return new ConfigLoader({
    longPollSeconds,
    source: createConfigSource(url, SA_ID, saSigning.privateKey, 'TSP_CONFIG_URL'),
    serviceAccountId: SA_ID,
    brokerPublicKey: broker.publicKey,
    encryptionKey: sa.privateKey,
    fetchTimeoutMs: 2000,
    apply: (c) => applied.push(c),
    onRefresh: (o) => outcomes.push(o),
  });
}

describe('http source', () => {
  const server = new DocServer();
  let url: string;
  beforeAll(async () => {
    url = await server.start();
  });
  afterAll(() => server.stop());

  test('fetches, then sends If-None-Match and treats 304 as unchanged', async () => {
    server.body = JSON.stringify(doc(1, [tenant('a')]));
    const applied: LoadedConfig[] = [];
    const outcomes: string[] = [];
    const l = loader(url, applied, outcomes);
    await l.loadInitial();
    await l.refresh();
    expect(applied).toHaveLength(1);
    expect(applied[0].tenants.map((t) => t.tenantId)).toEqual(['a']);
    expect(outcomes).toEqual(['updated', 'unchanged']);
    expect(server.requests.at(-1)?.headers['if-none-match']).toBe('"1"');
  });

  test('the startup load retries a fetch that ran out of time (a broker still building a large document), but not other failures', async () => {
    // A stand-in that answers its first request after 2.5 s (beyond the 2 s deadline), the next at once.
    let n = 0;
    const slow = createServer((_req, res) => {
      n++;
      const body = JSON.stringify(doc(7, [tenant('big')]));
      setTimeout(() => res.writeHead(200, { etag: '"7"', 'content-type': 'application/json' }).end(body), n === 1 ? 2500 : 0).unref();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1/config-document`;
    try {
      const applied: LoadedConfig[] = [];
      await loader(slowUrl, applied, []).loadInitial();
      expect(n).toBe(2);
      expect(applied[0]?.tenants.map((t) => t.tenantId)).toEqual(['big']);
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
    // A broken document is not retried: the startup fails on the first answer.
    server.status = 500;
    const before = server.requests.length;
    await expect(loader(url, [], []).loadInitial()).rejects.toThrow(/500/);
    expect(server.requests.length - before).toBe(1);
    server.status = 200;
  }, 15_000);

  test('every request is signed by the service account over method, path and time', async () => {
    const source = createConfigSource(url, SA_ID, saSigning.privateKey, 'x');
    expect(source).toBeInstanceOf(HttpConfigSource);
    await source.fetch(undefined, AbortSignal.timeout(2000));
    const auth = String(server.requests.at(-1)?.headers['authorization']);
    const m = /^TSP-SA id=([^,]+),ts=(\d+),nonce=([0-9a-f]{32}),sig=(.+)$/.exec(auth);
    expect(m).not.toBeNull();
    const [, id, ts, nonce, sig] = m as RegExpExecArray;
    expect(id).toBe(SA_ID);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    expect(verify(null, Buffer.from(`GET\n/v1/config-document\n${ts}\n${nonce}`), saSigning.publicKey, Buffer.from(sig, 'base64'))).toBe(true);
    // Two requests in the same second are still distinct (replicas of one account poll together).
    await source.fetch(undefined, AbortSignal.timeout(2000));
    expect(String(server.requests.at(-1)?.headers['authorization'])).not.toBe(auth);
  });

  test('long-poll: a change reaches the loader at once, not at the next periodic refresh; stop ends the poll quietly', async () => {
    server.publish(JSON.stringify(doc(20, [tenant('a')])), '"20"');
    const applied: LoadedConfig[] = [];
    const outcomes: string[] = [];
    const l = loader(url, applied, outcomes, 5);
    await l.loadInitial();
    l.start(3_600_000);
    await new Promise((r) => setTimeout(r, 200));
    const waiting = server.requests.at(-1);
    expect(new URL(waiting?.url ?? '/', 'http://x').searchParams.get('wait')).toBe('5');
    const changedAt = Date.now();
    server.publish(JSON.stringify(doc(21, [tenant('a'), tenant('b')])), '"21"');
    while (applied.length < 2 && Date.now() - changedAt < 2000) await new Promise((r) => setTimeout(r, 10));
    expect(applied.map((c) => c.sequence)).toEqual([20, 21]);
    expect(Date.now() - changedAt).toBeLessThan(1000);
    l.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(outcomes).not.toContain('failed');
  });

  test('a failed refresh keeps the last good config and reports the error; recovery clears it', async () => {
    server.body = JSON.stringify(doc(5, [tenant('a'), tenant('b')]));
    server.etag = '"5"';
    const applied: LoadedConfig[] = [];
    const outcomes: string[] = [];
    const l = loader(url, applied, outcomes);
    await l.loadInitial();
    server.status = 500;
    await l.refresh();
    expect(l.status().lastError).toContain('HTTP 500');
    expect(l.status().consecutiveFailures).toBe(1);
    expect(applied).toHaveLength(1);
    server.status = 200;
    server.etag = '"6"';
    server.body = JSON.stringify(doc(6, [tenant('a')]));
    await l.refresh();
    expect(l.status().lastError).toBeUndefined();
    expect(l.status().sequence).toBe(6);
    expect(applied.map((c) => c.sequence)).toEqual([5, 6]);
    expect(outcomes).toEqual(['updated', 'failed', 'updated']);
  });

  test('an older document (lower sequence) is refused: no rollback', async () => {
    server.body = JSON.stringify(doc(10, [tenant('a')]));
    server.etag = '"10"';
    const applied: LoadedConfig[] = [];
    const l = loader(url, applied, []);
    await l.loadInitial();
    server.body = JSON.stringify(doc(9, [tenant('old')]));
    server.etag = '"9"';
    await l.refresh();
    expect(l.status().lastError).toContain('older than the loaded 10');
    expect(applied).toHaveLength(1);
  });

  test('startup fails with a message naming the source when it cannot be reached', async () => {
    const dead = new DocServer();
    const deadUrl = await dead.start();
    await dead.stop();
    await expect(loader(deadUrl, [], []).loadInitial()).rejects.toThrow(`config from ${deadUrl}`);
  });
});

describe('file source', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp-loader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('unchanged bytes are not re-applied; a new document is', async () => {
    const file = path.join(dir, 'doc.json');
    writeFileSync(file, JSON.stringify(doc(1, [tenant('a')])));
    const applied: LoadedConfig[] = [];
    const outcomes: string[] = [];
    const l = loader(`file://${file}`, applied, outcomes);
    await l.loadInitial();
    await l.refresh();
    writeFileSync(file, JSON.stringify(doc(2, [tenant('a'), tenant('b')])));
    await l.refresh();
    expect(outcomes).toEqual(['updated', 'unchanged', 'updated']);
    expect(applied.map((c) => c.tenants.length)).toEqual([1, 2]);
  });

  test('opening many tenants yields to the event loop between slices', async () => {
    const file = path.join(dir, 'many.json');
    writeFileSync(file, JSON.stringify(doc(1, Array.from({ length: 1200 }, (_, i) => tenant(`t${i}`)))));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const applied: LoadedConfig[] = [];
    await loader(`file://${file}`, applied, []).loadInitial();
    clearInterval(timer);
    expect(applied[0].tenants).toHaveLength(1200);
    expect(applied[0].tenants.every((t) => t.ok)).toBe(true);
    expect(ticks).toBeGreaterThan(0);
  });

  test('unsupported URL schemes are refused naming the variable', () => {
    expect(() => createConfigSource('ftp://x/doc', SA_ID, saSigning.privateKey, 'TSP_CONFIG_URL')).toThrow('TSP_CONFIG_URL must be a file://, http:// or https:// URL');
    expect(() => createConfigSource('not a url', SA_ID, saSigning.privateKey, 'TSP_CONFIG_URL')).toThrow('TSP_CONFIG_URL is not a URL');
  });
});

test('a URL as logged has no user info and no query (a presigned token)', () => {
  expect(urlForLogs(new URL('https://user:secret@broker.example:8443/api/v1/config-document?X-Sig=token'))).toBe('https://broker.example:8443/api/v1/config-document');
});
