// The AWS KMS fake as a process: `node dist/tools/fakes/aws-kms/main.js --port 4599 --key alias/dev`.
// Prints one JSON line on stdout with what it serves, then runs until SIGINT/SIGTERM.
import { FakeCli } from '@tsp/fake-support';
import { parseCli, USAGE } from './cli-options';
import { startFakeAwsKms } from './fake-server';

const cli = new FakeCli('fake-aws-kms');

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { options, generatedSecret } = parseCli(process.argv.slice(2));
  const fake = await startFakeAwsKms(options);
  const served = {
    service: 'aws-kms',
    url: fake.url,
    port: fake.port,
    region: fake.region,
    accountId: fake.accountId,
    control: `${fake.url}/__fake/`,
    // Secrets given on the command line or in a file are not echoed; generated ones must be.
    credentials: options.credentials.map((c) => (generatedSecret ? c : { accessKeyId: c.accessKeyId })),
    keys: fake.keys(),
  };
  cli.serve(served, () => fake.stop());
}

cli.run(main);
