import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildConfigDocument,
  decodePrivateKey,
  decodePublicKey,
  formatEnvFile,
  generateEncodedKeyPair,
  parseEnvFile,
  TenantConfig,
  validateTenantConfig,
} from '@tsp/config-crypto';
import { isolateCloudSdkEnvironment } from '@tsp/app-support';
import { generateLocalKek } from '@tsp/kms-local';
import { brokerEnvFile } from './broker-env';
import { brokerMasterKey } from './broker-master-key';
import { BrokerKeyFile, ensureDevEnvironment, generateApiKey, writeJson } from './dev-environment';

const USAGE = `tsp-admin: keys and config documents for the Tenant Security Proxy

  tsp-admin broker-keys --out broker-key.json
      Generate the broker's Ed25519 signing key pair (keep the file secret).
  tsp-admin broker-env [--out broker.env]
      Generate the broker's secrets as an env file: TSP_BROKER_MASTER_KEY, TSP_BROKER_SIGNING_KEY and
      TSP_BROKER_ADMIN_TOKEN (to stdout, which must not be a terminal, or to --out, mode 0600).
  tsp-admin broker-master-key --kms-config kms.json [--key-file master-key.txt]
      Wrap a new broker master key (or the existing one in --key-file: base64, as in TSP_BROKER_MASTER_KEY)
      with the KMS of kms.json ({"type", "keyPath", "credentials", "endpoint"?}); print the
      TSP_BROKER_MASTER_KEY_WRAPPED and TSP_BROKER_MASTER_KEY_KMS to set. Never prints the plain key.
  tsp-admin service-account --id ID --broker-key broker-key.json --config-url URL --out sa.env [--api-key KEY]
      Generate a service account: API key, X25519 and Ed25519 keys, as the env file a proxy starts from.
  tsp-admin seal --tenants tenants.json --service-account sa.env --broker-key broker-key.json --sequence N --out doc.json
      Seal plain tenant configs ({"tenants": [...]}) into a signed config document.
  tsp-admin local-kek
      Print a fresh base64 KEK for a 'local' KMS config (development only).
  tsp-admin dev-env --dir DIR
      Create the development environment (demo tenants) in DIR unless it exists.
`;

function args(argv: string[]): { cmd: string; opts: Record<string, string> } {
  const [cmd = 'help', ...rest] = argv;
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const v = rest[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
    opts[a.slice(2)] = v;
    i++;
  }
  return { cmd, opts };
}

function need(opts: Record<string, string>, name: string): string {
  const v = opts[name];
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

function readEnv(file: string): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}

async function run(argv: string[]): Promise<void> {
  const { cmd, opts } = args(argv);
  switch (cmd) {
    case 'broker-keys': {
      const k = generateEncodedKeyPair('ed25519');
      writeJson(need(opts, 'out'), { signingKey: k.privateKey, publicKey: k.publicKey } satisfies BrokerKeyFile, true);
      process.stdout.write(`broker public key: ${k.publicKey}\n`);
      return;
    }
    case 'broker-env': {
      const { text } = brokerEnvFile();
      const out = opts['out'];
      if (out !== undefined) {
        writeFileSync(out, text, { mode: 0o600 });
        process.stdout.write(`broker secrets written to ${out}\n`);
      } else if (process.stdout.isTTY) {
        throw new Error('broker-env prints secrets: redirect stdout to a file, or use --out');
      } else {
        process.stdout.write(text);
      }
      return;
    }
    case 'broker-master-key': {
      // The cloud SDKs take credentials and endpoint from kms.json only (no metadata server, no AWS_ENDPOINT_URL).
      isolateCloudSdkEnvironment(process.env);
      const keyFile = opts['key-file'];
      process.stdout.write(await brokerMasterKey({ kmsConfigFile: need(opts, 'kms-config'), ...(keyFile === undefined ? {} : { keyFile }) }));
      return;
    }
    case 'service-account': {
      const broker = JSON.parse(readFileSync(need(opts, 'broker-key'), 'utf8')) as BrokerKeyFile;
      const enc = generateEncodedKeyPair('x25519');
      const sig = generateEncodedKeyPair('ed25519');
      const text = formatEnvFile(
        {
          TSP_SERVICE_CONFIG_ID: need(opts, 'id'),
          API_KEY: opts['api-key'] ?? generateApiKey(),
          TSP_SA_ENCRYPTION_KEY: enc.privateKey,
          TSP_SA_ENCRYPTION_PUBLIC_KEY: enc.publicKey,
          TSP_SA_SIGNING_KEY: sig.privateKey,
          TSP_SA_SIGNING_PUBLIC_KEY: sig.publicKey,
          TSP_BROKER_PUBLIC_KEY: broker.publicKey,
          TSP_CONFIG_URL: need(opts, 'config-url'),
        },
        `Service account ${need(opts, 'id')}: secrets, keep private.`,
      );
      writeFileSync(need(opts, 'out'), text, { mode: 0o600 });
      process.stdout.write(`service account written to ${need(opts, 'out')}\n`);
      return;
    }
    case 'seal': {
      const input = JSON.parse(readFileSync(need(opts, 'tenants'), 'utf8')) as { tenants: TenantConfig[] };
      for (const t of input.tenants) {
        const problems = validateTenantConfig(t, t.tenantId);
        if (problems.length > 0) throw new Error(`tenant '${t.tenantId}': ${problems.join('; ')}`);
      }
      const sa = readEnv(need(opts, 'service-account'));
      const broker = JSON.parse(readFileSync(need(opts, 'broker-key'), 'utf8')) as BrokerKeyFile;
      const sequence = Number(need(opts, 'sequence'));
      if (!Number.isSafeInteger(sequence) || sequence < 1) throw new Error('--sequence must be a positive integer');
      const doc = buildConfigDocument({
        serviceAccountId: sa['TSP_SERVICE_CONFIG_ID'] ?? '',
        serviceAccountPublicKey: decodePublicKey(sa['TSP_SA_ENCRYPTION_PUBLIC_KEY'] ?? '', 'x25519', 'TSP_SA_ENCRYPTION_PUBLIC_KEY'),
        brokerSigningKey: decodePrivateKey(broker.signingKey, 'ed25519', 'broker signingKey'),
        sequence,
        tenants: input.tenants,
      });
      writeJson(need(opts, 'out'), doc, false);
      process.stdout.write(`sealed ${input.tenants.length} tenants into ${need(opts, 'out')} (sequence ${sequence})\n`);
      return;
    }
    case 'local-kek':
      process.stdout.write(`${generateLocalKek()}\n`);
      return;
    case 'dev-env': {
      const { env, created } = await ensureDevEnvironment(path.resolve(need(opts, 'dir')));
      process.stdout.write(`${created ? 'created' : 'exists'}: ${env.dir}\n`);
      return;
    }
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      throw new Error(`unknown command '${cmd}'\n\n${USAGE}`);
  }
}

run(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`tsp-admin: ${(e as Error).message}\n`);
  process.exit(2);
});
