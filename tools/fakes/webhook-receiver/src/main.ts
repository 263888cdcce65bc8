import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FakeCli, HELP_OPTION, PORT_OPTION, TLS_FILE_OPTIONS } from '@tsp/fake-support';
import { startFakeWebhookReceiver } from './fake-server';

/**
 * The webhook receiver fake as one command:
 *   node dist/tools/fakes/webhook-receiver/main.js --port 8088 --secret <16+ chars> --ca-out /tmp/webhook-ca.pem
 * HTTPS with a generated self-signed certificate (openssl CLI) unless --http; --tls-cert/--tls-key
 * serve given files. Without --secret one is generated and printed (nobody else knows it).
 * Prints one JSON line {url, port, ...} and runs until SIGINT/SIGTERM.
 */
const cli = new FakeCli(
  'fake-webhook-receiver',
  'Usage: main.js [--port N] [--secret S ...] [--http | --tls-cert F --tls-key F] [--ca-out F] [--path /events] [--tolerance-seconds 300]',
);
const { values } = cli.parse(() =>
  parseArgs({
    options: {
      ...PORT_OPTION,
      secret: { type: 'string', multiple: true },
      http: { type: 'boolean', default: false },
      ...TLS_FILE_OPTIONS,
      path: { type: 'string', default: '/events' },
      'tolerance-seconds': { type: 'string', default: '300' },
      ...HELP_OPTION,
    },
    strict: true,
  }),
);

async function main(): Promise<void> {
  if (cli.helpAsked(values.help)) return;
  const port = cli.port(values.port);
  const tolerance = cli.integer('tolerance-seconds', values['tolerance-seconds'], 1);
  if (!values.path.startsWith('/')) cli.fail('--path must start with /');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) cli.fail('--tls-cert and --tls-key go together');
  // --http wins; given files are served; otherwise the fake makes its own certificate.
  const tls = values.http
    ? false
    : values['tls-cert'] !== undefined && values['tls-key'] !== undefined
      ? { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') }
      : undefined;
  const fake = await startFakeWebhookReceiver({
    port,
    tls,
    path: values.path,
    toleranceSeconds: tolerance,
    ...(values.secret === undefined ? {} : { secrets: values.secret }),
  });
  if (fake.caCertificate !== undefined && values['ca-out'] !== undefined) writeFileSync(values['ca-out'], fake.caCertificate);
  // A generated secret is printed (the tenant config needs it); one passed in is not echoed.
  const generated = values.secret === undefined ? { secret: fake.secrets[0] } : {};
  cli.serve({ service: 'webhook-receiver', url: fake.url, port: fake.port, control: new URL('/__fake/', fake.url).href, ...generated }, () => fake.stop());
}

cli.run(main);
