import { parseArgs } from 'node:util';
import { FakeCli, PORT_OPTION, TLS_OPTIONS } from '@tsp/fake-support';
import { startFakeSumoLogic } from './fake-server';

/**
 * Starts the fake Sumo Logic HTTP source on 127.0.0.1:
 *   node dist/tools/fakes/sumo-logic/main.js --port 9090 [--token T ...] [--max-payload-bytes N] \
 *     [--tls --ca-out /tmp/fake-sumo-ca.pem]
 * Without --token a random one is made. Prints one JSON line {url, port, sourceUrl?} (sourceUrl, the
 * secret, only when the token was generated here) and runs until SIGTERM/SIGINT.
 */
const cli = new FakeCli('fake-sumo-logic');
const { values } = cli.parse(() =>
  parseArgs({
    options: { ...PORT_OPTION, token: { type: 'string', multiple: true }, 'max-payload-bytes': { type: 'string' }, ...TLS_OPTIONS },
    strict: true,
  }),
);

async function main(): Promise<void> {
  const port = cli.port(values.port);
  const max = cli.integer('max-payload-bytes', values['max-payload-bytes'], 1);
  const tls = cli.tls({ generate: values.tls, caOut: values['ca-out'] });
  const fake = await startFakeSumoLogic({
    port,
    ...(tls !== undefined ? { tls } : {}),
    ...(max !== undefined ? { maxPayloadBytes: max } : {}),
    ...(values.token !== undefined ? { tokens: values.token } : {}),
  });
  const generated = values.token === undefined ? { sourceUrl: fake.sourceUrl() } : {};
  cli.serve({ url: fake.url, port: fake.port, ...generated }, () => fake.stop());
}

cli.run(main);
