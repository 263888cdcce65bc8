import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFakeWebhookReceiver } from './fake-server';

/**
 * The webhook receiver fake as one command:
 *   node dist/tools/fakes/webhook-receiver/main.js --port 8088 --secret <16+ chars> --ca-out /tmp/webhook-ca.pem
 * HTTPS with a generated self-signed certificate (openssl CLI) unless --http; --tls-cert/--tls-key
 * serve given files. Without --secret one is generated and printed (nobody else knows it).
 * Prints one JSON line {url, port, ...} and runs until SIGINT/SIGTERM.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    secret: { type: 'string', multiple: true },
    http: { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'ca-out': { type: 'string' },
    path: { type: 'string', default: '/events' },
    'tolerance-seconds': { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`fake-webhook-receiver: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write('Usage: main.js [--port N] [--secret S ...] [--http | --tls-cert F --tls-key F] [--ca-out F] [--path /events] [--tolerance-seconds 300]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const tolerance = Number(values['tolerance-seconds']);
  if (!Number.isInteger(tolerance) || tolerance < 1) fail('--tolerance-seconds must be a positive integer');
  if (!values.path.startsWith('/')) fail('--path must start with /');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) fail('--tls-cert and --tls-key go together');
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
  process.stdout.write(`${JSON.stringify({ service: 'webhook-receiver', url: fake.url, port: fake.port, control: new URL('/__fake/', fake.url).href, ...generated })}\n`);
  const stop = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
