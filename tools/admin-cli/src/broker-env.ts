import { randomBytes } from 'node:crypto';
import { formatEnvFile, generateEncodedKeyPair } from '@tsp/config-crypto';

/**
 * The broker's secrets as one env file (docker/compose.yaml's secrets/broker.env, or the
 * Kubernetes Secret tsp-broker): a new master key (32 random bytes), a new Ed25519 signing key
 * and a new admin token. The signing key's public half is in the header comment (service-account
 * files carry it as TSP_BROKER_PUBLIC_KEY; the broker hands it out itself).
 */
export function brokerEnvFile(): { text: string; publicKey: string } {
  const signing = generateEncodedKeyPair('ed25519');
  const text = formatEnvFile(
    {
      TSP_BROKER_MASTER_KEY: randomBytes(32).toString('base64'),
      TSP_BROKER_SIGNING_KEY: signing.privateKey,
      TSP_BROKER_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    },
    `Configuration broker secrets: keep private. Losing the master key loses every credential stored in the broker.\nBroker public key (TSP_BROKER_PUBLIC_KEY of its service accounts): ${signing.publicKey}`,
  );
  return { text, publicKey: signing.publicKey };
}
