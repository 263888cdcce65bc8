import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createConfigSource, ConfigSource } from '@tsp/broker-client';
import { SqliteBrokerRepository } from '@tsp/broker-store';
import { decodePrivateKey, generateEncodedKeyPair, parseEnvFile } from '@tsp/config-crypto';
import { freePort } from '@tsp/test-support';
import { BrokerDocumentReport, DocumentFetch, LongPollFigures, median } from './broker-report';
import { drainAdminOutbox, emptySeedCounts, SeedCounts, seedTenant, tenantPlan } from './broker-seed';
import { ProcessRegistry, sleep, TrackedChild } from './child-processes';
import { benchTenantId, measureProxyMemory, readRss } from './memory';
import { BROKER_MAIN, BenchOptions } from './options';
import { CpuMeter, processCpuMs } from './process-cpu';

/**
 * Issue 5's broker benchmark: N tenants (BENCH_BROKER_TENANTS) seeded into a broker store
 * through the repository contract; the BUILT broker serves them to a BUILT proxy on 127.0.0.1.
 * Measures the first document (build + seal + sign), its size, an unchanged fetch (304), the
 * proxy's time to ready and its memory per tenant against a proxy of a one-tenant account of
 * the same broker, and shows that K unchanged long-polls cost the broker no tenant scan (its
 * debug log counts the documents it builds; its CPU during them against one build).
 */

const LIVE_TIMEOUT_MS = 30_000;
const SEED_TAG = 'bench';
const BASELINE_TAG = 'bench-baseline';
const BASELINE_TENANT = 'bench-baseline-tenant';
const LONG_POLL_WAIT_SECONDS = 3;
const NOT_MODIFIED_REQUESTS = 20;
/** What document-route.ts logs (debug) for every document it builds: one tenant scan each. */
const DOCUMENT_BUILT_LINE = 'config document built';

interface RunningBroker {
  proc: TrackedChild;
  url: string;
  adminToken: string;
  startMs: number;
  /** Documents built (tenant scans) since start, counted from its debug log lines. */
  documentsBuilt(): number;
}

interface BenchAccount {
  id: string;
  serviceAccountFile: string;
  apiKey: string;
  source: ConfigSource;
}

/** The store's directory: tmpfs when there is one (seeding is fsync-bound on disk: ~0.7 ms a write here). */
function storeDir(reg: ProcessRegistry, work: string): { dir: string; storage: string } {
  const shm = '/dev/shm';
  try {
    if (existsSync(shm)) {
      const dir = mkdtempSync(path.join(shm, 'tsp-bench-broker-'));
      reg.trackDir(dir);
      return { dir, storage: 'tmpfs /dev/shm' };
    }
  } catch {
    /* not writable: fall back to the work dir */
  }
  return { dir: work, storage: 'disk (temp dir)' };
}

async function startBroker(reg: ProcessRegistry, dbFile: string, masterKey: Buffer): Promise<RunningBroker> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = randomBytes(24).toString('base64url');
  const started = process.hrtime.bigint();
  const proc = reg.spawn('config broker', process.execPath, [BROKER_MAIN], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      TSP_BROKER_HOST: '127.0.0.1',
      TSP_BROKER_PORT: String(port),
      TSP_BROKER_DB: dbFile,
      TSP_BROKER_MASTER_KEY: masterKey.toString('base64'),
      TSP_BROKER_SIGNING_KEY: generateEncodedKeyPair('ed25519').privateKey,
      TSP_BROKER_ADMIN_TOKEN: adminToken,
      TSP_BROKER_PUBLIC_URL: url,
      // debug: one line per document built, which the long-poll check counts.
      TSP_BROKER_LOG_LEVEL: 'debug',
    },
  });
  let built = 0;
  let carry = '';
  proc.child.stderr?.on('data', (d: string) => {
    const lines = (carry + d).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line.includes(DOCUMENT_BUILT_LINE)) built++;
  });
  const deadline = Date.now() + LIVE_TIMEOUT_MS;
  for (;;) {
    if (proc.hasExited()) throw new Error(`the config broker exited during startup:\n${proc.stderrTail()}`);
    if (Date.now() > deadline) throw new Error(`the config broker was not live within ${LIVE_TIMEOUT_MS} ms:\n${proc.stderrTail()}`);
    try {
      const res = await fetch(`${url}/live`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(20);
  }
  return { proc, url, adminToken, startMs: Number(process.hrtime.bigint() - started) / 1e6, documentsBuilt: () => built };
}

/** Creates a service account through the admin API, as a vendor would; writes its env file (0600). */
async function createAccount(broker: RunningBroker, work: string, id: string, tenantTags: string[]): Promise<BenchAccount> {
  const res = await fetch(`${broker.url}/api/v1/service-accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${broker.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, name: `bench ${id}`, tenantTags }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { envFile?: unknown };
  if (res.status !== 201 || typeof body.envFile !== 'string') throw new Error(`creating service account ${id} answered HTTP ${res.status}`);
  const serviceAccountFile = path.join(work, `${id}.env`);
  writeFileSync(serviceAccountFile, body.envFile, { mode: 0o600 });
  const vars = parseEnvFile(body.envFile);
  const apiKey = vars['API_KEY'];
  const url = vars['TSP_CONFIG_URL'];
  const signingKey = vars['TSP_SA_SIGNING_KEY'];
  if (apiKey === undefined || url === undefined || signingKey === undefined) throw new Error(`the env file of ${id} lacks API_KEY, TSP_CONFIG_URL or TSP_SA_SIGNING_KEY`);
  const source = createConfigSource(url, id, decodePrivateKey(signingKey, 'ed25519', 'TSP_SA_SIGNING_KEY'), 'TSP_CONFIG_URL');
  return { id, serviceAccountFile, apiKey, source };
}

/** One signed document request, timed, with the broker's CPU during it. */
async function timedFetch(broker: RunningBroker, account: BenchAccount, etag: string | undefined): Promise<DocumentFetch & { etag: string | undefined }> {
  const cpu = new CpuMeter(broker.proc.pid);
  cpu.begin();
  const r = await account.source.fetch(etag, AbortSignal.timeout(300_000));
  cpu.end();
  if (!r.changed) return { status: 304, ms: cpu.wallMs, brokerCpuMs: cpu.childMs, bytes: 0, etag };
  return { status: 200, ms: cpu.wallMs, brokerCpuMs: cpu.childMs, bytes: Buffer.byteLength(r.text, 'utf8'), etag: r.etag };
}

async function seed(repo: SqliteBrokerRepository, count: number, awsEvery: number, note: (s: string) => void): Promise<SeedCounts> {
  const counts = emptySeedCounts();
  const step = Math.max(1, Math.ceil(count / 5));
  for (let i = 1; i <= count; i++) {
    await seedTenant(repo, tenantPlan(benchTenantId(i), i, awsEvery), i, [SEED_TAG], counts);
    if (i % step === 0 && i < count) note(`broker: seeded ${i} of ${count} tenants`);
  }
  return counts;
}

/** K long-polls with the current ETag, all at once; the broker's CPU and builds meanwhile. */
async function holdLongPolls(broker: RunningBroker, account: BenchAccount, etag: string, k: number): Promise<LongPollFigures> {
  const idle = new CpuMeter(broker.proc.pid);
  idle.begin();
  await sleep(LONG_POLL_WAIT_SECONDS * 1000);
  idle.end();
  const builtBefore = broker.documentsBuilt();
  const cpu = new CpuMeter(broker.proc.pid);
  cpu.begin();
  const one = async (): Promise<{ ms: number; changed: boolean }> => {
    const t0 = process.hrtime.bigint();
    const r = await account.source.fetch(etag, AbortSignal.timeout((LONG_POLL_WAIT_SECONDS + 30) * 1000), LONG_POLL_WAIT_SECONDS);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, changed: r.changed };
  };
  const results = await Promise.all(Array.from({ length: k }, one));
  cpu.end();
  const shortestMs = Math.min(...results.map((r) => r.ms));
  return {
    requests: k,
    waitSeconds: LONG_POLL_WAIT_SECONDS,
    allHeld: results.every((r) => !r.changed) && shortestMs >= LONG_POLL_WAIT_SECONDS * 1000 - 250,
    shortestMs,
    wallMs: cpu.wallMs,
    brokerCpuMs: cpu.childMs,
    idleCpuMs: idle.childMs * (cpu.wallMs / Math.max(1, idle.wallMs)),
    documentsBuilt: broker.documentsBuilt() - builtBefore,
  };
}

export async function measureBrokerDocument(
  reg: ProcessRegistry,
  opts: BenchOptions,
  work: string,
  note: (s: string) => void,
): Promise<BrokerDocumentReport> {
  if (opts.skipBroker) return { skipped: true, reason: 'BENCH_SKIP_BROKER=1' };
  if (!existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: build first (node tools/build/build.mjs)`);
  const n = opts.brokerTenants;
  const { dir, storage } = storeDir(reg, work);
  const dbFile = path.join(dir, 'broker.db');
  const masterKey = randomBytes(32);
  note(`broker: starting the built config broker (store on ${storage})`);
  const broker = await startBroker(reg, dbFile, masterKey);
  try {
    const rssEmptyKb = readRss(broker.proc.pid).rssKb;
    const small = await createAccount(broker, work, 'bench-baseline', [BASELINE_TAG]);
    const large = await createAccount(broker, work, 'bench-proxies', [SEED_TAG]);

    // The bench writes through its own connection to the same file, as a second broker instance would.
    const repo = new SqliteBrokerRepository({ file: dbFile, masterKey });
    let repoOpen = true;
    const closeRepo = async (): Promise<void> => {
      if (repoOpen) await repo.close();
      repoOpen = false;
    };
    let counts: SeedCounts;
    let seedMs: number;
    let outboxAcked: number;
    try {
      await seedTenant(repo, tenantPlan(BASELINE_TENANT, 1, 0), 1, [BASELINE_TAG], emptySeedCounts());
      note('broker: proxy of the one-tenant account (baseline memory)');
      const settle = { readyTimeoutMs: opts.readyTimeoutSeconds * 1000, settleSeconds: opts.settleSeconds };
      const baseline = await measureProxyMemory(reg, 'proxy (broker, one tenant)', small, { ...settle, probeTenant: BASELINE_TENANT });
      note(`broker: seeding ${n} tenants through the repository`);
      const t0 = Date.now();
      counts = await seed(repo, n, opts.brokerAwsEvery, note);
      seedMs = Date.now() - t0;
      outboxAcked = await drainAdminOutbox(repo);
      note(`broker: seeded in ${(seedMs / 1000).toFixed(1)} s (${counts.writes} writes); ${outboxAcked} outbox events acknowledged`);
      await closeRepo();

      const rssSeededKb = readRss(broker.proc.pid).rssKb;
      note('broker: first document request');
      const first = await timedFetch(broker, large, undefined);
      const rssAfterFirstKb = readRss(broker.proc.pid).rssKb;
      note(`broker: first document ${(first.bytes / 1048576).toFixed(1)} MiB in ${(first.ms / 1000).toFixed(2)} s; second request`);
      const second = await timedFetch(broker, large, undefined);
      const etag = first.etag;
      if (first.status !== 200 || etag === undefined) throw new Error('the first document request did not answer 200 with an ETag');

      note('broker: proxy of the large account');
      const cpuBefore = processCpuMs(broker.proc.pid);
      const largeProxy = await measureProxyMemory(reg, `proxy (broker, ${n} tenants)`, large, { ...settle, probeTenant: benchTenantId(n) });
      const brokerCpuMsDuringStart = processCpuMs(broker.proc.pid) - cpuBefore;

      const nm: DocumentFetch[] = [];
      for (let i = 0; i < NOT_MODIFIED_REQUESTS; i++) nm.push(await timedFetch(broker, large, etag));
      note(`broker: ${opts.brokerLongPolls} unchanged long-polls of ${LONG_POLL_WAIT_SECONDS} s`);
      const longPolls = await holdLongPolls(broker, large, etag, opts.brokerLongPolls);
      const { rssKb: rssEndKb, peakKb } = readRss(broker.proc.pid);
      const heapDelta =
        largeProxy.heapUsedBytes !== undefined && baseline.heapUsedBytes !== undefined ? largeProxy.heapUsedBytes - baseline.heapUsedBytes : undefined;
      return {
        skipped: false,
        tenants: n,
        seed: { counts, ms: seedMs, outboxAcked, storage, dbBytes: fileBytes(dbFile) + fileBytes(`${dbFile}-wal`) },
        broker: { startMs: broker.startMs, rssEmptyKb, rssSeededKb, rssAfterFirstKb, rssEndKb, peakRssKb: peakKb },
        first: strip(first),
        second: strip(second),
        notModified: {
          requests: nm.length,
          medianMs: median(nm.map((f) => f.ms)),
          maxMs: Math.max(...nm.map((f) => f.ms)),
          brokerCpuMsEach: nm.reduce((a, f) => a + f.brokerCpuMs, 0) / nm.length,
          all304: nm.every((f) => f.status === 304),
        },
        longPolls,
        proxy: {
          baseline,
          large: largeProxy,
          brokerCpuMsDuringStart,
          kbPerTenant: (largeProxy.rssKb - baseline.rssKb) / n,
          heapBytesPerTenant: heapDelta === undefined ? undefined : heapDelta / n,
        },
      };
    } finally {
      await closeRepo();
    }
  } finally {
    await reg.stop(broker.proc);
  }
}

function strip(f: DocumentFetch & { etag: string | undefined }): DocumentFetch {
  return { status: f.status, ms: f.ms, brokerCpuMs: f.brokerCpuMs, bytes: f.bytes };
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
