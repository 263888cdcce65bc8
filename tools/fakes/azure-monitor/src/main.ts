import { parseArgs } from 'node:util';
import { ENTRA_APP_CLI_OPTIONS, entraAppOptions } from '@tsp/fake-azure-keyvault';
import { FakeCli, PORT_OPTION, TLS_FILE_OPTIONS } from '@tsp/fake-support';
import { DEFAULT_STREAM, newRuleId, startFakeAzureMonitor } from './fake-server';

/**
 * Starts the fake Azure Monitor Logs Ingestion API + Entra ID token endpoint on 127.0.0.1:
 *   node dist/tools/fakes/azure-monitor/main.js --port 8444 --ca-out /tmp/fake-monitor-ca.pem \
 *     --tenant <guid> --client-id <id> --client-secret <secret> --rule dcr-<32 hex>:Custom-TspEvents_CL
 * Serves https with a fresh self-signed certificate (openssl CLI) unless --tls-cert/--tls-key.
 * Prints one JSON line {url, authorityHost, tenantGuid, clientId, ruleId, streamName, port} and
 * runs until SIGTERM/SIGINT. Faults can be added at runtime through POST /_fake/faults.
 */
const cli = new FakeCli('fake-azure-monitor');
const { values } = cli.parse(() =>
  parseArgs({
    options: { ...PORT_OPTION, ...TLS_FILE_OPTIONS, ...ENTRA_APP_CLI_OPTIONS, rule: { type: 'string', multiple: true } },
    strict: true,
  }),
);

async function main(): Promise<void> {
  const port = cli.port(values.port);
  const tls = cli.tls({ generate: true, certFile: values['tls-cert'], keyFile: values['tls-key'], caOut: values['ca-out'] });
  const rules: Record<string, string[]> = {};
  for (const spec of values.rule ?? [`${newRuleId()}:${DEFAULT_STREAM}`]) {
    const [id, ...streams] = spec.split(':');
    if (!/^dcr-[0-9a-f]{32}$/.test(id) || streams.length === 0 || streams.some((s) => !/^(Custom|Microsoft)-\w+$/.test(s))) {
      cli.fail(`--rule ${spec}: expected dcr-<32 hex>:<stream>[:<stream>...]`);
    }
    rules[id] = streams;
  }
  const fake = await startFakeAzureMonitor({
    port,
    tls,
    rules,
    ...entraAppOptions(values),
    onError: (e) => process.stderr.write(`fake-azure-monitor: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
  });
  // A generated client secret is printed (a fake's, for the tenant config); one passed in is not echoed.
  const generatedSecret = values['client-secret'] === undefined ? { clientSecret: fake.clientSecret } : {};
  cli.serve(
    { url: fake.url, authorityHost: fake.authorityHost, tenantGuid: fake.tenantGuid, clientId: fake.clientId, ...generatedSecret, ruleId: fake.ruleId, streamName: fake.streamName, port: fake.port },
    () => fake.close(),
  );
}

cli.run(main);
