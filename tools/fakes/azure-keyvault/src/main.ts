import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFakeAzureKeyVault } from './fake-server';
import { generateLoopbackCertificate, LoopbackCertificate } from './tls-certificate';

/**
 * Starts the fake Azure Key Vault + Entra ID token endpoint on 127.0.0.1:
 *   node dist/tools/fakes/azure-keyvault/main.js --port 8443 --tls --ca-out /tmp/fake-akv-ca.pem \
 *     --tenant <guid> --client-id <id> --client-secret <secret> --key tsp-key:2
 * --tls makes a self-signed certificate (needs the openssl CLI); --tls-cert/--tls-key use files.
 * Without TLS only plain-http clients work (MSAL refuses an http authority).
 * Prints one JSON line {url, authorityHost, tenantGuid, clientId, port} and runs until SIGTERM/SIGINT.
 * Faults and keys can be changed at runtime through the control API under /_fake/.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    tls: { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'ca-out': { type: 'string' },
    tenant: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    key: { type: 'string', multiple: true },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`fake-azure-keyvault: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  let tls: LoopbackCertificate | undefined;
  if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) {
    if (values['tls-cert'] === undefined || values['tls-key'] === undefined) fail('--tls-cert and --tls-key go together');
    tls = { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') };
  } else if (values.tls) {
    tls = generateLoopbackCertificate();
  }
  if (tls !== undefined && values['ca-out'] !== undefined) writeFileSync(values['ca-out'], tls.cert);
  const keys: Record<string, number> = {};
  for (const spec of values.key ?? ['tsp-key:1']) {
    const [name, n = '1'] = spec.split(':');
    if (name === '' || !/^[1-9]\d*$/.test(n)) fail(`--key ${spec}: expected name[:versions]`);
    keys[name] = Number(n);
  }
  const fake = await startFakeAzureKeyVault({
    port,
    ...(tls !== undefined ? { tls } : {}),
    ...(values.tenant !== undefined ? { tenantGuid: values.tenant } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
    keys,
    onError: (e) => process.stderr.write(`fake-azure-keyvault: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
  });
  // A generated client secret is printed (a fake's, for the tenant config); one passed in is not echoed.
  const generatedSecret = values['client-secret'] === undefined ? { clientSecret: fake.clientSecret } : {};
  process.stdout.write(`${JSON.stringify({ url: fake.url, authorityHost: fake.authorityHost, tenantGuid: fake.tenantGuid, clientId: fake.clientId, ...generatedSecret, port: fake.port })}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
