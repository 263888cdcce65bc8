import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startFakeCloudWatchLogs } from './fake-server';

/**
 * The CloudWatch Logs fake as one command:
 *   node dist/tools/fakes/cloudwatch-logs/main.js --port 4586 --region us-east-1 \
 *     --access-key-id AKIA... --secret-access-key ... --group tsp-events:tenant-a
 * --group NAME[:STREAM,STREAM...] (repeatable) creates groups and streams. Without credentials a
 * random pair is generated and printed. Prints one JSON line {url, port, region, ...} and runs
 * until SIGINT/SIGTERM. Faults: POST /__fake/faults (see faults.ts).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    region: { type: 'string', default: 'us-east-1' },
    'access-key-id': { type: 'string' },
    'secret-access-key': { type: 'string' },
    'session-token': { type: 'string' },
    group: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`fake-cloudwatch-logs: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write('Usage: main.js [--port N] [--region R] [--access-key-id ID --secret-access-key S [--session-token T]] [--group NAME[:STREAM,...]]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const id = values['access-key-id'];
  const secret = values['secret-access-key'];
  if ((id === undefined) !== (secret === undefined)) fail('--access-key-id and --secret-access-key go together');
  const generated = id === undefined;
  const credential =
    id !== undefined && secret !== undefined
      ? { accessKeyId: id, secretAccessKey: secret, ...(values['session-token'] === undefined ? {} : { sessionToken: values['session-token'] }) }
      : { accessKeyId: `AKIAFAKE${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const groups = (values.group ?? []).map((g) => {
    const [name = '', streams] = g.split(':', 2);
    if (name === '') fail(`--group ${g}: expected NAME[:STREAM,...]`);
    return { name, streams: streams === undefined ? [] : streams.split(',').filter((s) => s !== '') };
  });
  const fake = await startFakeCloudWatchLogs({ port, region: values.region, credentials: [credential], groups });
  // Generated credentials are printed (nobody else knows them); given ones are not echoed.
  const creds = generated ? credential : { accessKeyId: credential.accessKeyId };
  process.stdout.write(`${JSON.stringify({ service: 'cloudwatch-logs', url: fake.url, port: fake.port, region: fake.region, credentials: creds, control: `${fake.url}/__fake/` })}\n`);
  const stop = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
