import { createPublicKey } from 'node:crypto';
import { parseEnvFile } from '@tsp/config-crypto';
import { parseBrokerConfig } from '../../../apps/config-broker/src/broker-config';
import { brokerEnvFile } from './broker-env';

/** `tsp-admin broker-env`: the file it makes is what the broker starts from, and fresh each time. */
test('the env file holds exactly the three broker secrets, accepted by the broker; its header names the public key', () => {
  const a = brokerEnvFile();
  const vars = parseEnvFile(a.text);
  expect(Object.keys(vars).sort()).toEqual(['TSP_BROKER_ADMIN_TOKEN', 'TSP_BROKER_MASTER_KEY', 'TSP_BROKER_SIGNING_KEY']);
  const config = parseBrokerConfig({ ...vars, TSP_BROKER_DB: '/tmp/unused.db', TSP_BROKER_PUBLIC_KEY: a.publicKey });
  expect(config.masterKey).toEqual({ kind: 'plain', key: Buffer.from(vars['TSP_BROKER_MASTER_KEY'] ?? '', 'base64') });
  expect(Buffer.from(vars['TSP_BROKER_MASTER_KEY'] ?? '', 'base64')).toHaveLength(32);
  expect(createPublicKey(config.signingKey).export({ format: 'der', type: 'spki' }).toString('base64')).toBe(a.publicKey);
  expect(config.adminToken.length).toBeGreaterThanOrEqual(32);
  expect(a.text).toContain(`# Broker public key (TSP_BROKER_PUBLIC_KEY of its service accounts): ${a.publicKey}\n`);

  const b = parseEnvFile(brokerEnvFile().text);
  for (const k of Object.keys(vars)) expect(b[k]).not.toBe(vars[k]);
});
