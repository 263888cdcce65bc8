import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { FakeCli, HELP_OPTION, PORT_OPTION } from '@tsp/fake-support';
import { startFakeCloudWatchLogs } from './fake-server';

/**
 * The CloudWatch Logs fake as one command:
 *   node dist/tools/fakes/cloudwatch-logs/main.js --port 4586 --region us-east-1 \
 *     --access-key-id AKIA... --secret-access-key ... --group tsp-events:tenant-a
 * --group NAME[:STREAM,STREAM...] (repeatable) creates groups and streams. Without credentials a
 * random pair is generated and printed. Prints one JSON line {url, port, region, ...} and runs
 * until SIGINT/SIGTERM. Faults: POST /__fake/faults (see faults.ts).
 */
const cli = new FakeCli('fake-cloudwatch-logs', 'Usage: main.js [--port N] [--region R] [--access-key-id ID --secret-access-key S [--session-token T]] [--group NAME[:STREAM,...]]');
const { values } = cli.parse(() =>
  parseArgs({
    options: {
      ...PORT_OPTION,
      region: { type: 'string', default: 'us-east-1' },
      'access-key-id': { type: 'string' },
      'secret-access-key': { type: 'string' },
      'session-token': { type: 'string' },
      group: { type: 'string', multiple: true },
      ...HELP_OPTION,
    },
    strict: true,
  }),
);

async function main(): Promise<void> {
  if (cli.helpAsked(values.help)) return;
  const port = cli.port(values.port);
  const id = values['access-key-id'];
  const secret = values['secret-access-key'];
  if ((id === undefined) !== (secret === undefined)) cli.fail('--access-key-id and --secret-access-key go together');
  const generated = id === undefined;
  const credential =
    id !== undefined && secret !== undefined
      ? { accessKeyId: id, secretAccessKey: secret, ...(values['session-token'] === undefined ? {} : { sessionToken: values['session-token'] }) }
      : { accessKeyId: `AKIAFAKE${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const groups = (values.group ?? []).map((g) => {
    const [name = '', streams] = g.split(':', 2);
    if (name === '') cli.fail(`--group ${g}: expected NAME[:STREAM,...]`);
    return { name, streams: streams === undefined ? [] : streams.split(',').filter((s) => s !== '') };
  });
  const fake = await startFakeCloudWatchLogs({ port, region: values.region, credentials: [credential], groups });
  // Generated credentials are printed (nobody else knows them); given ones are not echoed.
  const creds = generated ? credential : { accessKeyId: credential.accessKeyId };
  cli.serve({ service: 'cloudwatch-logs', url: fake.url, port: fake.port, region: fake.region, credentials: creds, control: `${fake.url}/__fake/` }, () => fake.stop());
}

cli.run(main);
