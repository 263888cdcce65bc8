import { parseArgs } from 'node:util';
import { FakeCli, LATENCY_OPTION, PORT_OPTION, TLS_OPTIONS } from '@tsp/fake-support';
import { startFakeDatadog } from './fake-server';

/**
 * Starts the fake Datadog Logs intake on 127.0.0.1:
 *   node dist/tools/fakes/datadog/main.js --port 8126 [--tls --ca-out ca.pem] [--api-key KEY]... [--latency-ms N]
 * Without --api-key a key is generated and printed. Prints one JSON line {url, port, apiKey?}
 * and runs until SIGTERM/SIGINT. Faults and latency can be changed at runtime:
 * POST/DELETE /_fake/faults, PUT /_fake/latency; GET /_fake/received lists the accepted logs.
 */
const cli = new FakeCli('fake-datadog');
const { values } = cli.parse(() =>
  parseArgs({
    options: { ...PORT_OPTION, ...TLS_OPTIONS, 'api-key': { type: 'string', multiple: true }, ...LATENCY_OPTION },
    strict: true,
  }),
);

async function main(): Promise<void> {
  const port = cli.port(values.port);
  const latencyMs = cli.integer('latency-ms', values['latency-ms'], 0);
  const tls = cli.tls({ generate: values.tls, caOut: values['ca-out'] });
  const fake = await startFakeDatadog({ port, latencyMs, ...(tls !== undefined ? { tls } : {}), ...(values['api-key'] !== undefined ? { apiKeys: values['api-key'] } : {}) });
  // A generated key is printed (nobody else knows it); keys passed in are not echoed.
  const generated = values['api-key'] === undefined ? { apiKey: fake.apiKey } : {};
  cli.serve({ url: fake.url, port: fake.port, ...generated }, () => fake.stop());
}

cli.run(main);
