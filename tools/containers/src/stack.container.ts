import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DocumentMetadata, EventMetadata, TenantSecurityClient, UserEvent } from '@ironcorelabs/tenant-security-nodejs';
import { generateEncodedKeyPair } from '@tsp/config-crypto';
import { FakeAwsKms, startFakeAwsKms } from '@tsp/fake-aws-kms';
import { freePort, waitUntil } from '@tsp/test-support';
import { brokerAdminClient, BrokerAdminCall } from '../../../apps/config-broker/e2e/broker-process';
import { containerLogs, containerState, createVolume, listenAddresses, podman, podmanOk, removeContainers, removeOrphans, removeVolumes, requirePodman, startContainer, TestImages, testImages, volumeMountpoint, waitForHttp } from './index';

/**
 * The paired images as a vendor runs them, driven by the UNMODIFIED Node Tenant Security Client:
 * broker (SQLite on a volume) + proxy + logdriver containers, all on the host network (every
 * packet on 127.0.0.1), read-only roots without tmpfs, the service-account file mounted
 * read-only. The tenant's KMS is the AWS KMS fake on the host (latency injection for the stop
 * test); its logging config is a webhook to a receiver on the host that can be "down".
 * Every app binds 127.0.0.1 (runArgs overrides the images' 0.0.0.0; checked on the host's sockets).
 *
 * Network: the image builds reach the npm registry (npm ci) and the local bases' mmdebstrap
 * deb.debian.org, by design (under `npm test`: once, in the pre-build step); the stack itself
 * sends every packet to 127.0.0.1.
 */
jest.setTimeout(180_000);

const UID = 10001;
const TENANT = 'ctest-tenant';
const AWS_REGION = 'eu-west-1';
const AWS_CREDENTIALS = { accessKeyId: 'AKIACONTAINERTEST001', secretAccessKey: 'container-test-secret-not-real-00000000' };
const SA_FILE_IN_CONTAINER = '/etc/tsp/service-account.env';

const run = `tsp-ctest-${randomBytes(3).toString('hex')}`;
const names = { broker: `${run}-broker`, proxy: `${run}-proxy`, logdriver: `${run}-logdriver`, logdriver2: `${run}-logdriver2` };
const volumes = { broker: `${run}-broker-data`, spool: `${run}-spool` };

let built: TestImages;
let work: string;
let fake: FakeAwsKms | undefined;
let receiver: WebhookReceiver | undefined;
let admin: BrokerAdminCall;
let client: TenantSecurityClient;
const ports = { broker: 0, proxy: 0, health: 0, logdriver: 0 };

/** A tenant's webhook endpoint on the host: answers 503 while down (counting attempts), stores events while up. */
interface WebhookReceiver {
  port: number;
  down: boolean;
  failedAttempts: number;
  events: Record<string, unknown>[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<WebhookReceiver> {
  const r: WebhookReceiver = { port: await freePort(), down: true, failedAttempts: 0, events: [], close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (r.down) {
        r.failedAttempts++;
        res.writeHead(503).end();
        return;
      }
      r.events.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: Record<string, unknown>[] }).events);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(r.port, '127.0.0.1', resolve));
  r.close = () => new Promise((resolve) => server.close(() => resolve()));
  return r;
}

function logdriverSpec(name: string) {
  return {
    name,
    image: built.refs.logdriver,
    env: {
      TSP_SERVICE_ACCOUNT_FILE: SA_FILE_IN_CONTAINER,
      TSP_LOGDRIVER_PORT: String(ports.logdriver),
      TSP_LOGDRIVER_BATCH_MAX_AGE_MS: '200',
      TSP_LOGDRIVER_RETRY_BASE_MS: '200',
      TSP_LOGDRIVER_RETRY_MAX_MS: '1000',
    },
    volumes: [`${volumes.spool}:/var/lib/tsp/spool`, `${path.join(work, 'service-account.env')}:${SA_FILE_IN_CONTAINER}:ro`],
  };
}

/** Delivered events of this tenant, once per tspRayId (delivery is at least once). */
function delivered(): Map<string, Record<string, unknown>> {
  const byRay = new Map<string, Record<string, unknown>>();
  for (const e of receiver?.events ?? []) byRay.set((e['iclFields'] as Record<string, string>)['tspRayId'] ?? '', e);
  return byRay;
}

beforeAll(async () => {
  requirePodman();
  await removeOrphans();
  built = await testImages();
  for (const v of Object.values(volumes)) await createVolume(v);
  work = mkdtempSync(path.join(tmpdir(), 'tsp-ctest-'));
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  fake = await startFakeAwsKms({ region: AWS_REGION, credentials: [AWS_CREDENTIALS], keys: [{ aliases: ['alias/tsp-containers'] }] });
  receiver = await startReceiver();

  // The broker: SQLite on a named volume; its keys and token in an env file (never on a command line).
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const brokerEnv = path.join(work, 'broker.env');
  writeFileSync(
    brokerEnv,
    [`TSP_BROKER_MASTER_KEY=${randomBytes(32).toString('base64')}`, `TSP_BROKER_SIGNING_KEY=${generateEncodedKeyPair('ed25519').privateKey}`, `TSP_BROKER_ADMIN_TOKEN=${adminToken}`, ''].join('\n'),
    { mode: 0o600 },
  );
  const brokerUrl = `http://127.0.0.1:${ports.broker}`;
  await startContainer({
    name: names.broker,
    image: built.refs['config-broker'],
    env: { TSP_BROKER_PORT: String(ports.broker), TSP_BROKER_PUBLIC_URL: brokerUrl },
    envFile: brokerEnv,
    volumes: [`${volumes.broker}:/var/lib/tsp/broker`],
  });
  await waitForHttp(names.broker, `${brokerUrl}/live`);

  // Seed it through its admin API as a vendor would: service account, tenant, logging, KMS.
  admin = brokerAdminClient(brokerUrl, adminToken);
  const sa = await admin('POST', '/service-accounts', { id: 'sa-containers', name: 'container tests', tenantTags: ['ctest'] });
  expect(sa.status).toBe(201);
  const envFile = String(sa.json['envFile']);
  const saFile = path.join(work, 'service-account.env');
  writeFileSync(saFile, envFile, { mode: 0o600 });
  chownSync(saFile, UID, UID); // readable by the containers' user only
  expect((await admin('POST', '/tenants', { id: TENANT, name: 'Container tenant', tags: ['ctest'] })).status).toBe(201);
  const logging = { sinks: [{ id: 'hook', type: 'webhook', settings: { url: `http://127.0.0.1:${receiver.port}/events`, allowInsecureHttp: true }, credentials: { secret: randomBytes(16).toString('hex') } }] };
  expect([200, 201]).toContain((await admin('PUT', `/tenants/${TENANT}/logging-config`, logging)).status);
  const keyId = fake.keys()[0]?.keyId ?? '';
  const kms = await admin('POST', `/tenants/${TENANT}/kms-configs`, { type: 'aws', keyPath: { keyID: keyId, region: AWS_REGION }, credentials: AWS_CREDENTIALS, endpoint: fake.url, active: true, primary: true });
  expect(kms.status).toBe(201);

  await startContainer(logdriverSpec(names.logdriver));
  await waitForHttp(names.logdriver, `http://127.0.0.1:${ports.logdriver}/ready`);
  // Strict audit: a request answers only after its event is committed to the logdriver's spool.
  await startContainer({
    name: names.proxy,
    image: built.refs.proxy,
    env: {
      TSP_SERVICE_ACCOUNT_FILE: SA_FILE_IN_CONTAINER,
      TSP_PORT: String(ports.proxy),
      TSP_HEALTH_PORT: String(ports.health),
      LOGDRIVER_URL: `http://127.0.0.1:${ports.logdriver}`,
      TSP_AUDIT_MODE: 'strict',
    },
    volumes: [`${saFile}:${SA_FILE_IN_CONTAINER}:ro`],
  });
  await waitForHttp(names.proxy, `http://127.0.0.1:${ports.health}/ready`);
  client = new TenantSecurityClient(`http://127.0.0.1:${ports.proxy}`, envFile.match(/^API_KEY=(.*)$/m)?.[1] ?? '');
}, 20 * 60_000);

afterAll(async () => {
  await removeContainers(Object.values(names));
  await removeVolumes(Object.values(volumes));
  await built?.release();
  await fake?.stop();
  await receiver?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

test('the Node client wraps and unwraps through the proxy container; every container is healthy and runs as 10001', async () => {
  const meta = new DocumentMetadata(TENANT, 'svc', 'PII');
  const enc = await client.encryptDocument({ f: Buffer.from('through the containers') }, meta);
  const dec = await client.decryptDocument(enc, meta);
  expect(dec.plaintextDocument['f']?.toString()).toBe('through the containers');
  expect(fake?.requests().filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(2);

  const ready = await fetch(`http://127.0.0.1:${ports.health}/ready`);
  expect(ready.status).toBe(200);
  for (const name of [names.broker, names.logdriver, names.proxy]) {
    // The image's HEALTHCHECK (node's fetch inside the container) passes.
    expect((await podman(['healthcheck', 'run', name])).code).toBe(0);
    const top = await podmanOk(['top', name, 'user', 'args']);
    const users = top.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(new Set(users)).toEqual(new Set([String(UID)]));
  }
  // On the host network, every app listens on loopback only (never the images' 0.0.0.0).
  for (const port of Object.values(ports)) expect({ port, addresses: listenAddresses(port) }).toEqual({ port, addresses: ['127.0.0.1'] });
  // The broker keeps its SQLite database on its volume.
  expect(existsSync(path.join(await volumeMountpoint(volumes.broker), 'broker.db'))).toBe(true);
});

test('killing the logdriver container loses nothing: a new one on the same volume delivers the acknowledged events', async () => {
  const N = 10;
  for (let i = 0; i < N; i++) {
    // Strict audit: answered only once the event is in the spool.
    await client.logSecurityEvent(UserEvent.LOGIN, new EventMetadata(TENANT, `user-${i}`, 'PII', Date.now(), '127.0.0.1', 'obj', `ctest-kill-${i}`));
  }
  // The tenant's receiver is down: the logdriver tried and could deliver nothing.
  await waitUntil(() => (receiver?.failedAttempts ?? 0) >= 2, 20_000, 'delivery attempts to the down receiver');
  expect(receiver?.events).toEqual([]);

  const killed = await podman(['kill', names.logdriver]); // SIGKILL
  expect(killed.code).toBe(0);
  await waitUntil(async () => (await containerState(names.logdriver))?.running === false, 10_000, 'the killed logdriver to exit');
  expect((await containerState(names.logdriver))?.exitCode).toBe(137);

  if (receiver !== undefined) receiver.down = false;
  await startContainer(logdriverSpec(names.logdriver2));
  await waitForHttp(names.logdriver2, `http://127.0.0.1:${ports.logdriver}/ready`);
  const logins = (): string[] =>
    [...delivered().values()].map((e) => e['iclFields'] as Record<string, string>).filter((f) => f['event'] === 'USER_LOGIN').map((f) => f['requestId'] ?? '');
  try {
    await waitUntil(() => logins().length >= N, 30_000, 'every acknowledged event delivered after the restart');
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${logins().length} of ${N}\n${await containerLogs(names.logdriver2)}`);
  }
  expect(logins().sort()).toEqual(Array.from({ length: N }, (_, i) => `ctest-kill-${i}`).sort());
  // The key operations of the first test, spooled before the kill, arrive too.
  const kmsEvents = [...delivered().values()].map((e) => (e['iclFields'] as Record<string, string>)['event']).filter((n) => n?.startsWith('KMS_'));
  expect(kmsEvents.sort()).toEqual(['KMS_UNWRAP_KEY', 'KMS_WRAP_KEY']);
});

test('podman stop of the proxy with requests in flight: every one completes with 200, the stop returns well before its timeout', async () => {
  const LATENCY_MS = 2500;
  const STOP_TIMEOUT_S = 30;
  fake?.clearRequests();
  fake?.addFault({ action: { type: 'latency', ms: LATENCY_MS } });
  const meta = new DocumentMetadata(TENANT, 'svc', 'PII');
  const IN_FLIGHT = 6;
  const settled: number[] = [];
  const requests = Array.from({ length: IN_FLIGHT }, (_, i) =>
    client.encryptDocument({ f: Buffer.from(`in flight ${i}`) }, meta).then((r) => {
      settled.push(Date.now());
      return r;
    }),
  );
  // Every request has reached the KMS (and waits there) before the stop.
  await waitUntil(() => (fake?.requests().length ?? 0) >= IN_FLIGHT, 10_000, 'the requests to reach the KMS fake');
  const stopAt = Date.now();
  const stop = await podman(['stop', '-t', String(STOP_TIMEOUT_S), names.proxy], { timeoutMs: (STOP_TIMEOUT_S + 30) * 1000 });
  const elapsed = Date.now() - stopAt;
  expect(stop.code).toBe(0);

  const results = await Promise.allSettled(requests);
  expect(results.map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill('fulfilled'));
  expect(settled.every((t) => t >= stopAt)).toBe(true); // they were in flight when the stop began
  // Graceful: SIGTERM reached node (PID 1), it drained and exited 0, long before podman's SIGKILL.
  const state = await containerState(names.proxy);
  const logs = await containerLogs(names.proxy, 200);
  if (elapsed >= 10_000 || state?.exitCode !== 0) throw new Error(`podman stop took ${elapsed} ms, exit ${String(state?.exitCode)}; the proxy's log:\n${logs}`);
  expect(state?.running).toBe(false);
  expect(logs).toContain('"signal":"SIGTERM"');
  fake?.clearFaults();
});
