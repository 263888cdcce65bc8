import { formatEnvFile, KmsConfig, parseEnvFile, TenantConfig } from '@tsp/config-crypto';
import { cloudDemoTenants, demoTenants, DevFakesSetup, withEventsFile } from '@tsp/dev-environment';
import { BrokerAdminApi } from './broker-admin-api';
import { DevBrokerPaths, writeSecretFile } from './broker-files';

/**
 * Seeds the development broker through its admin API, as a vendor admin would with curl: the
 * demo tenants (tag `demo`), each one's logging config (the logdriver's file sink) and its KMS
 * configs with their fixed ids (101, 201, 301/302, 401, 501, 601: the README, the examples and
 * EDEKs made earlier rely on them), then one service account for the stack's proxy and
 * logdriver, whose env file is saved (0600). Safe to run again after an interruption: what
 * exists is left as it is.
 */
export const DEV_SERVICE_ACCOUNT_ID = 'dev-stack';
export const DEMO_TAG = 'demo';

/** The demo tenants of a new development directory: fresh local KEKs; cloud tenants on the fakes. */
export async function newDemoTenants(fakes: DevFakesSetup | undefined): Promise<TenantConfig[]> {
  // Tenant secrets are not seeded: the broker creates them when a proxy first asks.
  const local = (await demoTenants()).map((t) => ({ ...t, secrets: [] }));
  return [...local, ...(fakes === undefined ? [] : cloudDemoTenants(fakes))];
}

/** The POST /tenants/{id}/kms-configs body of a config (same id, same key). */
export function kmsConfigBody(c: KmsConfig): Record<string, unknown> {
  return {
    id: c.id,
    type: c.type,
    keyPath: c.keyPath,
    credentials: c.credentials,
    ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
    active: c.active,
    primary: c.primary,
    ...(c.leasing?.enabled === true ? { leasingAllowed: true, ...(c.leasing.lifetimeSeconds !== undefined ? { leasingLifetimeSeconds: c.leasing.lifetimeSeconds } : {}) } : {}),
  };
}

/** Creates one tenant, its logging config, then its KMS configs (leasing needs the logging config). */
export async function seedTenant(api: BrokerAdminApi, tenant: TenantConfig): Promise<void> {
  const t = tenant.logging === undefined ? withEventsFile(tenant) : tenant;
  const route = `/tenants/${encodeURIComponent(t.tenantId)}`;
  await api.expect('POST', '/tenants', [201, 409], { id: t.tenantId, name: t.tenantId, tags: [DEMO_TAG] });
  if (t.logging !== undefined) await api.expect('PUT', `${route}/logging-config`, [200, 201], t.logging);
  for (const c of t.kmsConfigs) {
    if ((await api.request('GET', `/kms-configs/${c.id}`)).status === 200) continue;
    await api.expect('POST', `${route}/kms-configs`, [201], kmsConfigBody(c));
  }
}

/**
 * Creates the service account (serving every tenant: tenantTags []) and saves its env file. The
 * broker shows the env file once; `apiKey`, when given, replaces the generated API key (the key
 * is the proxy's own: clients of an older dev dir keep theirs).
 */
export async function createServiceAccount(api: BrokerAdminApi, paths: DevBrokerPaths, apiKey: string | undefined): Promise<void> {
  const answer = await api.request('POST', '/service-accounts', {
    id: DEV_SERVICE_ACCOUNT_ID,
    name: 'npm start: the proxy and the logdriver',
    tenantTags: [],
  });
  if (answer.status === 409) {
    throw new Error(
      `the broker already has service account '${DEV_SERVICE_ACCOUNT_ID}' but ${paths.serviceAccountFile} is not its env file (shown once): ` +
        `delete ${paths.dbFile} to start the broker afresh`,
    );
  }
  if (answer.status !== 201 || typeof answer.body['envFile'] !== 'string') throw new Error(`broker admin API: POST /api/v1/service-accounts answered ${answer.status}`);
  const vars = parseEnvFile(answer.body['envFile']);
  if (apiKey !== undefined) vars['API_KEY'] = apiKey;
  writeSecretFile(
    paths.serviceAccountFile,
    formatEnvFile(vars, `Service account '${DEV_SERVICE_ACCOUNT_ID}' of the development stack, issued by its configuration broker (secrets: keep private).`),
  );
}

/** Seeds every tenant, then the service account. */
export async function seedBroker(api: BrokerAdminApi, paths: DevBrokerPaths, tenants: readonly TenantConfig[], apiKey: string | undefined): Promise<void> {
  for (const t of tenants) await seedTenant(api, t);
  await createServiceAccount(api, paths, apiKey);
}
