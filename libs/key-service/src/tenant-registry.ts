import { createHash } from 'node:crypto';
import type { KmsConfig, OpenedTenant, TenantSecret } from '@tsp/config-crypto';
import type { KmsProvider, KmsProviderRegistry } from '@tsp/kms-core';

export const DEFAULT_LEASE_LIFETIME_SECONDS = 3600;

/** A KMS config ready to use: its provider is built once and reused while the config is unchanged. */
export interface RuntimeKmsConfig {
  readonly id: number;
  readonly tenantId: string;
  readonly type: KmsConfig['type'];
  readonly active: boolean;
  readonly primary: boolean;
  readonly leasingEnabled: boolean;
  readonly leaseLifetimeMs: number;
  readonly provider: KmsProvider;
  /** SHA-256 of the whole config (credentials included): changes when anything changes. */
  readonly fingerprint: string;
}

export interface RuntimeTenant {
  readonly tenantId: string;
  readonly configs: ReadonlyMap<number, RuntimeKmsConfig>;
  readonly primary: RuntimeKmsConfig | undefined;
  readonly hasActiveConfig: boolean;
  readonly secrets: readonly TenantSecret[];
  /** With redundant wrap on: the active configs other than the primary, wrapped after it. */
  readonly redundantConfigs: readonly RuntimeKmsConfig[];
}

/** One immutable snapshot of every tenant; swapped atomically on refresh. */
export class TenantRegistry {
  constructor(
    readonly tenants: ReadonlyMap<string, RuntimeTenant>,
    /** Tenants whose sealed part failed to open or validate, with the problems (no values). */
    readonly invalid: ReadonlyMap<string, readonly string[]>,
    /** Which tenant each config id belongs to, to tell "not assigned to tenant" from unknown. */
    readonly configOwner: ReadonlyMap<number, string>,
    readonly sequence: number,
  ) {}

  static empty(): TenantRegistry {
    return new TenantRegistry(new Map(), new Map(), new Map(), 0);
  }

  /** Every (tenant, config) pair that is active now, with its fingerprint. */
  activeConfig(tenantId: string, configId: number): RuntimeKmsConfig | undefined {
    const c = this.tenants.get(tenantId)?.configs.get(configId);
    return c !== undefined && c.active ? c : undefined;
  }
}

function configFingerprint(c: KmsConfig): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('base64');
}

const PROVIDER_CLOSE_GRACE_MS = 30_000;

export const LEASE_AAD_LABEL = 'tsp-leased-dek/v1\0';

/** AAD of leased DEK encryption: binds the tenant id into every leased EDEK. */
export function leaseAad(tenantId: string): Buffer {
  return Buffer.from(LEASE_AAD_LABEL + tenantId, 'utf8');
}

/**
 * Builds a registry from opened tenants. Providers of configs whose fingerprint did not change
 * are taken over from `previous` (SDK clients survive a refresh); the others are created anew.
 * A tenant with any KMS config its provider rejects is invalid as a whole (fail closed).
 */
export function buildTenantRegistry(
  opened: readonly OpenedTenant[],
  providers: KmsProviderRegistry,
  sequence: number,
  previous?: TenantRegistry,
): TenantRegistry {
  const tenants = new Map<string, RuntimeTenant>();
  const invalid = new Map<string, readonly string[]>();
  const configOwner = new Map<number, string>();
  const previousProviders = new Map<string, KmsProvider>();
  if (previous !== undefined) {
    for (const t of previous.tenants.values()) for (const c of t.configs.values()) previousProviders.set(c.fingerprint, c.provider);
  }
  for (const o of opened) {
    if (!o.ok) {
      invalid.set(o.tenantId, o.problems);
      continue;
    }
    const problems: string[] = [];
    for (const c of o.config.kmsConfigs) {
      problems.push(...providers.validate(c));
      const owner = configOwner.get(c.id);
      if (owner !== undefined && owner !== o.tenantId) problems.push(`kmsConfigs id ${c.id} is also assigned to another tenant`);
    }
    if (problems.length > 0) {
      invalid.set(o.tenantId, problems);
      continue;
    }
    const configs = new Map<number, RuntimeKmsConfig>();
    let primary: RuntimeKmsConfig | undefined;
    for (const c of o.config.kmsConfigs) {
      configOwner.set(c.id, o.tenantId);
      const fingerprint = configFingerprint(c);
      const provider = previousProviders.get(fingerprint) ?? providers.create(c);
      previousProviders.delete(fingerprint);
      const rc: RuntimeKmsConfig = Object.freeze({
        id: c.id,
        tenantId: o.tenantId,
        type: c.type,
        active: c.active,
        primary: c.primary && c.active,
        leasingEnabled: c.leasing?.enabled === true,
        leaseLifetimeMs: (c.leasing?.lifetimeSeconds ?? DEFAULT_LEASE_LIFETIME_SECONDS) * 1000,
        provider,
        fingerprint,
      });
      configs.set(c.id, rc);
      if (rc.primary) primary = rc;
    }
    tenants.set(
      o.tenantId,
      Object.freeze({
        tenantId: o.tenantId,
        configs,
        primary,
        hasActiveConfig: [...configs.values()].some((c) => c.active),
        redundantConfigs: o.config.redundantWrap === true ? [...configs.values()].filter((c) => c.active && c !== primary) : [],
        secrets: Object.freeze(o.config.secrets.map((s) => Object.freeze({ ...s }))),
      }),
    );
  }
  // Providers of configs that are gone or changed release their clients, after a grace period
  // that lets calls still in flight on the previous registry finish.
  if (previousProviders.size > 0) {
    const stale = [...previousProviders.values()];
    setTimeout(() => stale.forEach((p) => p.close()), PROVIDER_CLOSE_GRACE_MS).unref();
  }
  return new TenantRegistry(tenants, invalid, configOwner, sequence);
}
