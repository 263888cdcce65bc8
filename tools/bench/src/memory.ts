import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  buildConfigDocument,
  decodePrivateKey,
  decodePublicKey,
  KmsConfig,
  parseEnvFile,
  TenantConfig,
} from '@tsp/config-crypto';
import { BrokerKeyFile, DevEnvironment, makeLocalSecret } from '@tsp/dev-environment';
import { generateLocalKek } from '@tsp/kms-local';
import { ProcessRegistry, sleep } from './child-processes';
import { proxyHealth, proxyMetric, RunningProxy, startProxy } from './proxy-launcher';
import { apiHeaders, postOnce, requestBody, WRAP_PATH } from './scenarios';
import { isRecord } from './proxy-launcher';

/** VmRSS and VmHWM (peak RSS) of a live process, in KB, from /proc/<pid>/status. */
export function readRss(pid: number): { rssKb: number; peakKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (m === null) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]);
  };
  return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
}

export function benchTenantId(i: number): string {
  return `bench-tenant-${String(i).padStart(7, '0')}`;
}

export interface GeneratedDocument {
  file: string;
  tenants: number;
  bytes: number;
  generateMs: number;
}

/**
 * Writes a config document of `count` tenants, each with one local KMS config (a fresh KEK, no
 * leasing) and one tenant secret, sealed for the dev environment's service account and signed
 * with its broker key: the same keys as the demo document, so only TSP_CONFIG_URL differs.
 */
export async function generateLargeDocument(env: DevEnvironment, count: number, file: string): Promise<GeneratedDocument> {
  const started = Date.now();
  const sa = parseEnvFile(readFileSync(env.serviceAccountFile, 'utf8'));
  const broker = JSON.parse(readFileSync(env.brokerKeyFile, 'utf8')) as BrokerKeyFile;
  const saPublic = sa['TSP_SA_ENCRYPTION_PUBLIC_KEY'];
  const saId = sa['TSP_SERVICE_CONFIG_ID'];
  if (saPublic === undefined || saId === undefined) throw new Error('service account file lacks TSP_SA_ENCRYPTION_PUBLIC_KEY or TSP_SERVICE_CONFIG_ID');
  const tenants: TenantConfig[] = [];
  for (let i = 1; i <= count; i++) {
    const tenantId = benchTenantId(i);
    const config: KmsConfig = { id: i, type: 'local', active: true, primary: true, keyPath: { name: `bench-kek-${i}` }, credentials: { kek: generateLocalKek() } };
    const secret = await makeLocalSecret(tenantId, config, { id: i, secretPath: 'bench-path', secretType: 'deterministic', status: 'current' });
    tenants.push({ tenantId, kmsConfigs: [config], secrets: [secret] });
  }
  const doc = buildConfigDocument({
    serviceAccountId: saId,
    serviceAccountPublicKey: decodePublicKey(saPublic, 'x25519', 'TSP_SA_ENCRYPTION_PUBLIC_KEY'),
    brokerSigningKey: decodePrivateKey(broker.signingKey, 'ed25519', 'broker signingKey'),
    sequence: 1,
    tenants,
  });
  writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
  return { file, tenants: count, bytes: statSync(file).size, generateMs: Date.now() - started };
}

export interface ProxyMemory {
  tenantsLoaded: number;
  invalidTenants: number;
  readyMs: number;
  rssKb: number;
  peakRssKb: number;
  heapUsedBytes: number | undefined;
  /** A wrap for `probeTenant` answered 200 after the RSS was read. */
  probeTenant: string;
  probeOk: boolean;
}

/**
 * Starts an idle proxy (events off), waits for /ready, lets it settle `settleSeconds`, reads
 * its RSS, then checks one wrap and stops it.
 */
export async function measureProxyMemory(
  reg: ProcessRegistry,
  name: string,
  env: Pick<DevEnvironment, 'serviceAccountFile' | 'apiKey'>,
  opts: { configFile?: string; probeTenant: string; readyTimeoutMs: number; settleSeconds: number },
): Promise<ProxyMemory> {
  const extra: Record<string, string> = { TSP_EVENT_OUTPUT: 'none' };
  if (opts.configFile !== undefined) extra['TSP_CONFIG_URL'] = pathToFileURL(opts.configFile).href;
  const p: RunningProxy = await startProxy(reg, { name, serviceAccountFile: env.serviceAccountFile, env: extra, readyTimeoutMs: opts.readyTimeoutMs });
  try {
    await sleep(opts.settleSeconds * 1000);
    const { rssKb, peakKb } = readRss(p.proc.pid);
    const heapUsedBytes = await proxyMetric(p, 'tsp_nodejs_heap_size_used_bytes');
    const health = await proxyHealth(p);
    const r = await postOnce(`${p.url}${WRAP_PATH}`, apiHeaders(env.apiKey), requestBody(opts.probeTenant));
    const probeOk = r.status === 200 && isRecord(r.body) && typeof r.body['edek'] === 'string';
    return {
      tenantsLoaded: health.tenants,
      invalidTenants: health.invalidTenants,
      readyMs: p.readyMs,
      rssKb,
      peakRssKb: peakKb,
      heapUsedBytes,
      probeTenant: opts.probeTenant,
      probeOk,
    };
  } finally {
    await reg.stop(p.proc);
  }
}
