import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { FakeCli, PORT_OPTION, TLS_OPTIONS } from '@tsp/fake-support';
import { FakeHecToken, startFakeSplunkHec } from './fake-server';

/**
 * Starts the fake Splunk HEC on 127.0.0.1:
 *   node dist/tools/fakes/splunk-hec/main.js --port 8088 --token <token> --index main --index sec \
 *     [--ack] [--max-content-length N] [--tls --ca-out /tmp/fake-hec-ca.pem]
 * Without --token a random token is made and printed. Prints one JSON line {url, port, token?}
 * and runs until SIGTERM/SIGINT; faults can be added at runtime with POST /_fake/faults.
 */
const cli = new FakeCli('fake-splunk-hec');
const { values } = cli.parse(() =>
  parseArgs({
    options: {
      ...PORT_OPTION,
      token: { type: 'string' },
      index: { type: 'string', multiple: true },
      ack: { type: 'boolean', default: false },
      'max-content-length': { type: 'string' },
      ...TLS_OPTIONS,
    },
    strict: true,
  }),
);

async function main(): Promise<void> {
  const port = cli.port(values.port);
  const maxContentLength = cli.integer('max-content-length', values['max-content-length'], 1);
  const tls = cli.tls({ generate: values.tls, caOut: values['ca-out'] });
  const indexes = values.index !== undefined ? { indexes: values.index } : {};
  const token: FakeHecToken = { token: values.token ?? randomUUID(), ack: values.ack, ...indexes };
  const fake = await startFakeSplunkHec({
    port,
    ...(tls !== undefined ? { tls } : {}),
    ...(maxContentLength !== undefined ? { maxContentLength } : {}),
    tokens: [token],
  });
  // A generated token is printed (nobody else knows it); one passed in is not echoed.
  const generated = values.token === undefined ? { token: fake.tokens[0]?.token } : {};
  cli.serve({ url: fake.url, port: fake.port, ...generated }, () => fake.stop());
}

cli.run(main);
