import { openTestRepository } from './testing/test-repository';
import { generateEncodedKeyPair, decodePrivateKey } from '@tsp/config-crypto';
import { BrokerError } from './broker-error';
import { SaRequestAuthenticator } from './sa-request-auth';
import { tspSaHeader } from './testing/service-account-client';

describe('SaRequestAuthenticator', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((r) => r.close()));
  });

  async function setup(maxRemembered: number) {
    const repo = openTestRepository();
    opened.push(repo);
    const sig = generateEncodedKeyPair('ed25519');
    await repo.createServiceAccount({ id: 'sa', name: 'sa', tenantTags: [], encryptionPublicKey: generateEncodedKeyPair('x25519').publicKey, signingPublicKey: sig.publicKey });
    const clock = { ms: 1_800_000_000_000 };
    const auth = new SaRequestAuthenticator({ repo, now: () => clock.ms, maxRemembered });
    const key = decodePrivateKey(sig.privateKey, 'ed25519', 'key');
    const header = (ts: number) => tspSaHeader('sa', key, '/p', ts);
    return { auth, clock, header };
  }

  it('forgets signatures once their window passed, and answers 503 (not a silent eviction) when full', async () => {
    const { auth, clock, header } = await setup(2);
    const t0 = clock.ms / 1000;
    await auth.authenticate('GET', '/p', header(t0));
    await auth.authenticate('GET', '/p', header(t0 - 1));
    expect(auth.remembered).toBe(2);
    const full = await auth.authenticate('GET', '/p', header(t0 - 2)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(BrokerError);
    expect((full as BrokerError).statusCode).toBe(503);

    clock.ms += 62_000;
    await auth.authenticate('GET', '/p', header(t0 + 62));
    expect(auth.remembered).toBe(1);
    // The replay of a forgotten signature is refused anyway: its ts is now stale.
    const stale = await auth.authenticate('GET', '/p', header(t0)).catch((e: unknown) => e);
    expect((stale as BrokerError).statusCode).toBe(401);
  });
});
