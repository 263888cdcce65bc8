import { randomBytes, randomUUID } from 'node:crypto';
import type { BrokerRepository, ChangeContext, NewKmsConfig } from '@tsp/broker-store';
import type { KmsConfig, LoggingConfig } from '@tsp/config-crypto';
import { makeLocalSecret } from '@tsp/dev-environment';
import { generateLocalKek } from '@tsp/kms-local';

/** Who the seeded changes are recorded as (the store's outbox names it; never a credential). */
export const SEED_CONTEXT: ChangeContext = { actor: { kind: 'system', id: 'bench' } };

/** What one seeded tenant has; a pure function of its index, so runs are comparable. */
export interface TenantPlan {
  tenantId: string;
  /** The first is the primary `local` config (the wrap probe works on every tenant). */
  kmsConfigs: { type: 'local' | 'aws'; primary: boolean; leasing: boolean }[];
  /** One Current tenant secret, wrapped by the primary config. */
  secret: boolean;
  /** A SIEM sink with a token credential and a rate limit. */
  logging: boolean;
}

/**
 * Tenant `i` (1-based): a primary `local` config with its KEK as credentials (leasing on every
 * 3rd tenant); every 2nd tenant also keeps an older, active, non-primary config (a rotation in
 * progress) which is an AWS config with access keys on every `awsEvery`-th tenant (0: never;
 * its endpoint is a closed loopback port: the proxy builds its SDK client but never calls it);
 * every odd tenant has a tenant secret; every 4th a logging config.
 */
export function tenantPlan(tenantId: string, i: number, awsEvery: number): TenantPlan {
  const kmsConfigs: TenantPlan['kmsConfigs'] = [{ type: 'local', primary: true, leasing: i % 3 === 0 }];
  if (i % 2 === 0) kmsConfigs.push({ type: awsEvery > 0 && i % awsEvery === 0 ? 'aws' : 'local', primary: false, leasing: false });
  return { tenantId, kmsConfigs, secret: i % 2 === 1, logging: i % 4 === 0 };
}

export interface SeedCounts {
  tenants: number;
  kmsConfigs: number;
  awsConfigs: number;
  secrets: number;
  loggingConfigs: number;
  /** Repository writes (one transaction each). */
  writes: number;
}

export function emptySeedCounts(): SeedCounts {
  return { tenants: 0, kmsConfigs: 0, awsConfigs: 0, secrets: 0, loggingConfigs: 0, writes: 0 };
}

function newKmsConfig(tenantId: string, i: number, c: TenantPlan['kmsConfigs'][number]): NewKmsConfig {
  if (c.type === 'aws') {
    return {
      tenantId,
      type: 'aws',
      keyPath: { keyID: `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-${String(i).padStart(12, '0')}`, region: 'us-east-1' },
      credentials: { accessKeyId: `AKIA${String(i).padStart(16, '0')}`, secretAccessKey: randomBytes(30).toString('base64') },
      endpoint: 'http://127.0.0.1:9',
      active: true,
      primary: c.primary,
      leasingAllowed: c.leasing,
    };
  }
  return {
    tenantId,
    type: 'local',
    keyPath: { name: `bench-kek-${i}-${c.primary ? 'current' : 'previous'}` },
    credentials: { kek: generateLocalKek() },
    active: true,
    primary: c.primary,
    leasingAllowed: c.leasing,
    ...(c.leasing ? { leasingLifetimeSeconds: 3600 } : {}),
  };
}

function loggingConfig(): LoggingConfig {
  return {
    sinks: [
      {
        id: 'siem',
        type: 'splunk-hec',
        settings: { url: 'https://127.0.0.1:8088/services/collector/event', index: 'tsp-audit', sourcetype: 'tsp:security' },
        credentials: { token: randomUUID() },
      },
    ],
    rateLimit: { eventsPerSecond: 500, burst: 2000 },
  };
}

/** Writes one planned tenant through the repository contract (one transaction per write). */
export async function seedTenant(repo: BrokerRepository, plan: TenantPlan, i: number, tags: string[], counts: SeedCounts): Promise<void> {
  const ctx = SEED_CONTEXT;
  await repo.createTenant({ id: plan.tenantId, name: `Bench tenant ${i}`, tags }, ctx);
  counts.tenants++;
  counts.writes++;
  let primary: KmsConfig | undefined;
  for (const c of plan.kmsConfigs) {
    const input = newKmsConfig(plan.tenantId, i, c);
    const view = await repo.createKmsConfig(input, ctx);
    counts.kmsConfigs++;
    counts.writes++;
    if (c.type === 'aws') counts.awsConfigs++;
    if (c.primary) {
      primary = { id: view.id, type: view.type, active: true, primary: true, keyPath: input.keyPath, credentials: input.credentials };
    }
  }
  if (plan.secret && primary !== undefined) {
    const wrapped = await makeLocalSecret(plan.tenantId, primary, { id: 1, secretPath: 'bench-path', secretType: 'deterministic', status: 'current' });
    await repo.createTenantSecret({ tenantId: plan.tenantId, secretPath: 'bench-path', secretType: 'deterministic', encryptedSecret: wrapped.encryptedSecret }, ctx);
    counts.secrets++;
    counts.writes++;
  }
  if (plan.logging) {
    await repo.putLoggingConfig(plan.tenantId, loggingConfig(), ctx);
    counts.loggingConfigs++;
    counts.writes++;
  }
}

/**
 * Acknowledges every admin event the seeding left in the store's outbox (one per write), so a
 * relay of the outbox, if the broker runs one, has nothing to deliver during the measurement.
 */
export async function drainAdminOutbox(repo: BrokerRepository): Promise<number> {
  let acked = 0;
  for (;;) {
    const events = await repo.pendingAdminEvents(10_000);
    if (events.length === 0) return acked;
    await repo.ackAdminEvents(events.map((e) => e.id));
    acked += events.length;
  }
}
