import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFakeGoogleCloudLogging } from './fake-server';

/**
 * The fake Google Cloud Logging API from one command:
 *   node dist/tools/fakes/google-cloud-logging/main.js --port 4700 \
 *     [--service-account-file sa.json] [--latency-ms 0]
 * Binds 127.0.0.1 only. Prints one JSON line {url, tokenUri, serviceAccount?} on stdout:
 * without --service-account-file it generates a service account and prints its credentials
 * (a throwaway test key) for a sink's `credentials`. Stops on SIGINT/SIGTERM.
 * A service-account file is Google's JSON key file (client_email + private_key) or
 * {client_email, public_key} (PEM): only the public key is kept.
 */
const USAGE = 'usage: main.js [--port N] [--service-account-file F] [--latency-ms N]\n';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'service-account-file': { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(latencyMs) || latencyMs < 0) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const serviceAccounts: Array<{ clientEmail: string; publicKeyPem: string }> = [];
  const file = values['service-account-file'];
  if (file !== undefined) {
    const sa = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const pem = typeof sa['public_key'] === 'string' ? sa['public_key'] : typeof sa['private_key'] === 'string' ? sa['private_key'] : undefined;
    if (typeof sa['client_email'] !== 'string' || pem === undefined) throw new Error('the service account file needs client_email and private_key or public_key');
    serviceAccounts.push({ clientEmail: sa['client_email'], publicKeyPem: createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString() });
  }
  const fake = await startFakeGoogleCloudLogging({ port, serviceAccounts, latencyMs });
  process.stdout.write(`${JSON.stringify({ url: fake.url, tokenUri: fake.tokenUri, serviceAccount: fake.serviceAccount })}\n`);
  const stop = (): void => {
    fake.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`fake-google-cloud-logging: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
