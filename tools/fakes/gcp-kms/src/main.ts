import { parseArgs } from 'node:util';
import { FakeCli, HELP_OPTION, LATENCY_OPTION, PORT_OPTION } from '@tsp/fake-support';
import { startFakeGcpKms } from './fake-server';
import { SERVICE_ACCOUNT_CLI_OPTION, serviceAccountsFromCli } from './service-accounts';

/**
 * The fake Google Cloud KMS from one command:
 *   node dist/tools/fakes/gcp-kms/main.js --port 4600 \
 *     --key projects/p/locations/global/keyRings/r/cryptoKeys/k [--key ...] \
 *     [--service-account-file sa.json] [--latency-ms 0]
 * Binds 127.0.0.1 only. Prints one JSON line {url, tokenUri, keys, serviceAccount?} on stdout:
 * without --service-account-file it generates a service account and prints its credentials
 * (a throwaway test key) for a config's `credentials`. Stops on SIGINT/SIGTERM.
 * A service-account file is Google's JSON key file (client_email + private_key) or
 * {client_email, public_key} (PEM): only the public key is kept.
 */
const cli = new FakeCli('fake-gcp-kms', 'usage: main.js [--port N] [--key projects/P/locations/L/keyRings/R/cryptoKeys/K]... [--service-account-file F] [--latency-ms N]');

async function main(): Promise<void> {
  const { values } = cli.parse(() =>
    parseArgs({ options: { ...PORT_OPTION, key: { type: 'string', multiple: true, default: [] }, ...SERVICE_ACCOUNT_CLI_OPTION, ...LATENCY_OPTION, ...HELP_OPTION } }),
  );
  if (cli.helpAsked(values.help)) return;
  const port = cli.port(values.port);
  const latencyMs = cli.integer('latency-ms', values['latency-ms'], 0);
  const fake = await startFakeGcpKms({ port, keys: values.key, serviceAccounts: serviceAccountsFromCli(values), latencyMs });
  cli.serve({ url: fake.url, tokenUri: fake.tokenUri, keys: values.key, serviceAccount: fake.serviceAccount }, () => fake.stop());
}

cli.run(main);
