import type { ServiceAccount } from '@tsp/broker-store';
import { assertPublicKeyMatches, decodePublicKey, keyId, parseEnvFile } from '@tsp/config-crypto';
import { BrokerHarness, startBroker } from './testing/broker-harness';
import { createServiceAccount } from './testing/service-account-client';

describe('service account routes', () => {
  let b: BrokerHarness;
  beforeEach(async () => {
    b = await startBroker();
  });
  afterEach(async () => {
    await b.close();
  });

  it('answers once with an env file whose keys are the stored public halves', async () => {
    const res = await b.admin('POST', '/api/v1/service-accounts', { id: 'sa-eu', name: 'EU proxies', tenantTags: ['eu'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { serviceAccount, envFile } = res.body as { serviceAccount: ServiceAccount; envFile: string };
    const env = parseEnvFile(envFile);
    expect(Object.keys(env).sort()).toEqual([
      'API_KEY',
      'TSP_BROKER_PUBLIC_KEY',
      'TSP_CONFIG_URL',
      'TSP_SA_ENCRYPTION_KEY',
      'TSP_SA_ENCRYPTION_PUBLIC_KEY',
      'TSP_SA_SIGNING_KEY',
      'TSP_SA_SIGNING_PUBLIC_KEY',
      'TSP_SERVICE_CONFIG_ID',
    ]);
    expect(env['TSP_SERVICE_CONFIG_ID']).toBe('sa-eu');
    expect(env['TSP_CONFIG_URL']).toBe('http://127.0.0.1:9500/api/v1/config-document');
    expect(Buffer.from(env['API_KEY'] ?? '', 'base64').length).toBeGreaterThanOrEqual(12);
    expect(keyId(decodePublicKey(env['TSP_BROKER_PUBLIC_KEY'] ?? '', 'ed25519', 'broker'))).toBe(keyId(b.brokerPublicKey));

    const sa = await createServiceAccount(b, 'sa-two', []);
    expect(() => assertPublicKeyMatches(sa.encryptionKey, sa.view.encryptionPublicKey, 'x25519', 'enc')).not.toThrow();
    expect(() => assertPublicKeyMatches(sa.signingKey, sa.view.signingPublicKey, 'ed25519', 'sig')).not.toThrow();
    expect(serviceAccount).toMatchObject({ id: 'sa-eu', name: 'EU proxies', tenantTags: ['eu'], encryptionPublicKey: env['TSP_SA_ENCRYPTION_PUBLIC_KEY'], signingPublicKey: env['TSP_SA_SIGNING_PUBLIC_KEY'] });

    // The private keys are never shown again nor stored.
    const list = await b.admin('GET', '/api/v1/service-accounts');
    const one = await b.admin('GET', '/api/v1/service-accounts/sa-eu');
    const stored = JSON.stringify(await b.repo.listServiceAccounts());
    for (const text of [list.text, one.text, stored]) {
      expect(text).not.toContain(env['TSP_SA_ENCRYPTION_KEY']);
      expect(text).not.toContain(env['TSP_SA_SIGNING_KEY']);
      expect(text).not.toContain(sa.env['TSP_SA_SIGNING_KEY']);
      expect(text).not.toContain(env['API_KEY']);
    }
    expect((list.body as { serviceAccounts: ServiceAccount[] }).serviceAccounts.map((s) => s.id).sort()).toEqual(['sa-eu', 'sa-two']);
    expect(one.body).toEqual(serviceAccount);
  });

  it('revokes, and answers 404 / 409 / 400 as it should', async () => {
    await createServiceAccount(b, 'sa-1', []);
    const revoked = await b.admin('POST', '/api/v1/service-accounts/sa-1/revoke');
    expect(revoked.status).toBe(200);
    expect(typeof (revoked.body as ServiceAccount).revokedAt).toBe('string');
    expect((await b.admin('GET', '/api/v1/service-accounts/sa-1')).body).toHaveProperty('revokedAt');

    expect((await b.admin('POST', '/api/v1/service-accounts/nope/revoke')).status).toBe(404);
    expect((await b.admin('GET', '/api/v1/service-accounts/nope')).status).toBe(404);
    expect((await b.admin('POST', '/api/v1/service-accounts', { id: 'sa-1', name: 'again', tenantTags: [] })).status).toBe(409);

    const noTags = await b.admin('POST', '/api/v1/service-accounts', { id: 'sa-2', name: 'x' });
    expect(noTags.status).toBe(400);
    expect((noTags.body as { message: string }).message).toContain('tenantTags is required');
    const badId = await b.admin('POST', '/api/v1/service-accounts', { id: 'sa,ts=1', name: 'x', tenantTags: [] });
    expect(badId.status).toBe(400);
    expect((badId.body as { message: string }).message).toContain('id must match pattern');
    const extra = await b.admin('POST', '/api/v1/service-accounts', { id: 'sa-3', name: 'x', tenantTags: [], signingPublicKey: 'x' });
    expect(extra.status).toBe(400);
    expect((extra.body as { message: string }).message).toContain("unknown property 'signingPublicKey'");
  });
});
