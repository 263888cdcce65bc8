import { parseArgs } from 'node:util';
import { SERVICE_ACCOUNT_CLI_OPTION, serviceAccountsFromCli } from '@tsp/fake-gcp-kms';
import { FakeCli, HELP_OPTION, LATENCY_OPTION, PORT_OPTION } from '@tsp/fake-support';
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
const cli = new FakeCli('fake-google-cloud-logging', 'usage: main.js [--port N] [--service-account-file F] [--latency-ms N]');

async function main(): Promise<void> {
  const { values } = cli.parse(() => parseArgs({ options: { ...PORT_OPTION, ...SERVICE_ACCOUNT_CLI_OPTION, ...LATENCY_OPTION, ...HELP_OPTION } }));
  if (cli.helpAsked(values.help)) return;
  const fake = await startFakeGoogleCloudLogging({
    port: cli.port(values.port),
    serviceAccounts: serviceAccountsFromCli(values),
    latencyMs: cli.integer('latency-ms', values['latency-ms'], 0),
  });
  cli.serve({ url: fake.url, tokenUri: fake.tokenUri, serviceAccount: fake.serviceAccount }, () => fake.stop());
}

cli.run(main);
