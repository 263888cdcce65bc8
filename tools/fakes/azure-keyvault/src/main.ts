import { parseArgs } from 'node:util';
import { FakeCli, PORT_OPTION, TLS_FILE_OPTIONS, TLS_OPTIONS } from '@tsp/fake-support';
import { ENTRA_APP_CLI_OPTIONS, entraAppOptions } from './entra-app';
import { startFakeAzureKeyVault } from './fake-server';

/**
 * Starts the fake Azure Key Vault + Entra ID token endpoint on 127.0.0.1:
 *   node dist/tools/fakes/azure-keyvault/main.js --port 8443 --tls --ca-out /tmp/fake-akv-ca.pem \
 *     --tenant <guid> --client-id <id> --client-secret <secret> --key tsp-key:2
 * --tls makes a self-signed certificate (needs the openssl CLI); --tls-cert/--tls-key use files.
 * Without TLS only plain-http clients work (MSAL refuses an http authority).
 * Prints one JSON line {url, authorityHost, tenantGuid, clientId, port} and runs until SIGTERM/SIGINT.
 * Faults and keys can be changed at runtime through the control API under /_fake/.
 */
const cli = new FakeCli('fake-azure-keyvault');
const { values } = cli.parse(() =>
  parseArgs({
    options: { ...PORT_OPTION, ...TLS_OPTIONS, ...TLS_FILE_OPTIONS, ...ENTRA_APP_CLI_OPTIONS, key: { type: 'string', multiple: true } },
    strict: true,
  }),
);

async function main(): Promise<void> {
  const port = cli.port(values.port);
  const tls = cli.tls({ generate: values.tls, certFile: values['tls-cert'], keyFile: values['tls-key'], caOut: values['ca-out'] });
  const keys: Record<string, number> = {};
  for (const spec of values.key ?? ['tsp-key:1']) {
    const [name, n = '1'] = spec.split(':');
    if (name === '' || !/^[1-9]\d*$/.test(n)) cli.fail(`--key ${spec}: expected name[:versions]`);
    keys[name] = Number(n);
  }
  const fake = await startFakeAzureKeyVault({
    port,
    ...(tls !== undefined ? { tls } : {}),
    ...entraAppOptions(values),
    keys,
    onError: (e) => process.stderr.write(`fake-azure-keyvault: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
  });
  // A generated client secret is printed (a fake's, for the tenant config); one passed in is not echoed.
  const generatedSecret = values['client-secret'] === undefined ? { clientSecret: fake.clientSecret } : {};
  cli.serve({ url: fake.url, authorityHost: fake.authorityHost, tenantGuid: fake.tenantGuid, clientId: fake.clientId, ...generatedSecret, port: fake.port }, () => fake.close());
}

cli.run(main);
