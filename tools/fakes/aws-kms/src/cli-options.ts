import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FakeAwsKmsOptions } from './fake-server';
import type { FakeKeySpec } from './fake-keys';
import { schemaErrorText, validateFileConfig } from './control-schemas';

export const USAGE = `Usage: node dist/tools/fakes/aws-kms/main.js [options]
  --port N                  port on 127.0.0.1 (default 0: any free port)
  --config FILE             JSON {port?, region?, accountId?, credentials?, keys?, faults?}
  --region R                region the fake serves and signatures must be scoped to (us-east-1)
  --account-id N            12-digit account id in ARNs (111122223333)
  --access-key-id ID        credential accepted (with --secret-access-key, --session-token)
  --secret-access-key S
  --session-token T
  --key K                   a key: UUID, alias/NAME, or UUID=alias/NAME (repeatable)
Without credentials a random pair is generated and printed.`;

export interface CliResult {
  options: FakeAwsKmsOptions;
  /** Credentials made up here (printed, since nobody else knows them). */
  generatedSecret: boolean;
}

function keySpecOf(arg: string): FakeKeySpec {
  const [first, alias] = arg.split('=', 2) as [string, string | undefined];
  if (alias !== undefined) return { keyId: first, aliases: [alias] };
  return first.startsWith('alias/') ? { aliases: [first] } : { keyId: first };
}

/** Parses argv (without node and script); throws Error with a usage message on bad input. */
export function parseCli(argv: readonly string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CliResult {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${USAGE}`);
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  const known = ['port', 'config', 'region', 'account-id', 'access-key-id', 'secret-access-key', 'session-token', 'key'];
  for (const f of flags.keys()) if (!known.includes(f)) throw new Error(`unknown option --${f}\n${USAGE}`);
  const one = (f: string): string | undefined => flags.get(f)?.at(-1);

  let file: unknown = {};
  const configPath = one('config');
  if (configPath !== undefined) file = JSON.parse(readFile(configPath));
  if (!validateFileConfig(file)) throw new Error(`--config: ${schemaErrorText(validateFileConfig.errors)}`);

  const port = one('port') === undefined ? (file.port ?? 0) : Number(one('port'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be an integer 0-65535');
  const credentials = [...(file.credentials ?? [])];
  const id = one('access-key-id');
  const secret = one('secret-access-key');
  if ((id === undefined) !== (secret === undefined)) throw new Error('--access-key-id and --secret-access-key go together');
  if (id !== undefined && secret !== undefined) {
    const token = one('session-token');
    credentials.push({ accessKeyId: id, secretAccessKey: secret, ...(token === undefined ? {} : { sessionToken: token }) });
  }
  let generatedSecret = false;
  if (credentials.length === 0) {
    credentials.push({ accessKeyId: `AKIAFAKE${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') });
    generatedSecret = true;
  }
  const keys = [...(file.keys ?? []), ...(flags.get('key') ?? []).map(keySpecOf)];
  const region = one('region') ?? file.region;
  const accountId = one('account-id') ?? file.accountId;
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) throw new Error('--account-id must be 12 digits');
  return {
    options: {
      port,
      credentials,
      keys,
      faults: file.faults ?? [],
      ...(region === undefined ? {} : { region }),
      ...(accountId === undefined ? {} : { accountId }),
    },
    generatedSecret,
  };
}
