import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { DEFAULT_STREAM, newRuleId, startFakeAzureMonitor } from './fake-server';

/**
 * Starts the fake Azure Monitor Logs Ingestion API + Entra ID token endpoint on 127.0.0.1:
 *   node dist/tools/fakes/azure-monitor/main.js --port 8444 --ca-out /tmp/fake-monitor-ca.pem \
 *     --tenant <guid> --client-id <id> --client-secret <secret> --rule dcr-<32 hex>:Custom-TspEvents_CL
 * Serves https with a fresh self-signed certificate (openssl CLI) unless --tls-cert/--tls-key.
 * Prints one JSON line {url, authorityHost, tenantGuid, clientId, ruleId, streamName, port} and
 * runs until SIGTERM/SIGINT. Faults can be added at runtime through POST /_fake/faults.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'ca-out': { type: 'string' },
    tenant: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    rule: { type: 'string', multiple: true },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`fake-azure-monitor: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  let tls: LoopbackCertificate;
  if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) {
    if (values['tls-cert'] === undefined || values['tls-key'] === undefined) fail('--tls-cert and --tls-key go together');
    tls = { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') };
  } else {
    tls = generateLoopbackCertificate();
  }
  if (values['ca-out'] !== undefined) writeFileSync(values['ca-out'], tls.cert);
  const rules: Record<string, string[]> = {};
  for (const spec of values.rule ?? [`${newRuleId()}:${DEFAULT_STREAM}`]) {
    const [id, ...streams] = spec.split(':');
    if (!/^dcr-[0-9a-f]{32}$/.test(id) || streams.length === 0 || streams.some((s) => !/^(Custom|Microsoft)-\w+$/.test(s))) {
      fail(`--rule ${spec}: expected dcr-<32 hex>:<stream>[:<stream>...]`);
    }
    rules[id] = streams;
  }
  const fake = await startFakeAzureMonitor({
    port,
    tls,
    rules,
    ...(values.tenant !== undefined ? { tenantGuid: values.tenant } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
    onError: (e) => process.stderr.write(`fake-azure-monitor: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
  });
  // A generated client secret is printed (a fake's, for the tenant config); one passed in is not echoed.
  const generatedSecret = values['client-secret'] === undefined ? { clientSecret: fake.clientSecret } : {};
  process.stdout.write(
    `${JSON.stringify({ url: fake.url, authorityHost: fake.authorityHost, tenantGuid: fake.tenantGuid, clientId: fake.clientId, ...generatedSecret, ruleId: fake.ruleId, streamName: fake.streamName, port: fake.port })}\n`,
  );
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
