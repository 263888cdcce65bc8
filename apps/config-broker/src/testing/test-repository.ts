import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import { BrokerRepository, ChangeContext, SqliteBrokerRepository, TenantSecretView } from '@tsp/broker-store';

/**
 * The broker's tests run on the real SQLite repository (a temp file), wrapped to count calls
 * (tests check that an unchanged poll reads only the sequence; every method, new ones included,
 * is counted) and to add tenant secrets.
 */
export type TestRepository = BrokerRepository & {
  /** Calls per method name. */
  readonly calls: Record<string, number>;
  addSecret(tenantId: string, s: { secretPath: string; secretType: TenantSecretType; status: SecretStatus; encryptedSecret: string }): Promise<TenantSecretView>;
};

/** The actor of writes the tests make directly on the repository (not through the API). */
const TEST_CHANGE: ChangeContext = { actor: { kind: 'system', id: 'test' } };

export function openTestRepository(): TestRepository {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp-broker-test-'));
  const inner = new SqliteBrokerRepository({ file: path.join(dir, 'broker.db'), masterKey: randomBytes(32) });
  const calls: Record<string, number> = {};
  const extra = {
    calls,
    addSecret: async (tenantId: string, s: { secretPath: string; secretType: TenantSecretType; status: SecretStatus; encryptedSecret: string }) =>
      (await inner.createTenantSecret({ tenantId, ...s }, TEST_CHANGE)).secret,
    close: async () => {
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in extra) return extra[prop as keyof typeof extra];
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as TestRepository;
}
