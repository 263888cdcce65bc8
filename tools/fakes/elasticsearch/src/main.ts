import { parseArgs } from 'node:util';
import { FakeCli, LATENCY_OPTION, PORT_OPTION, TLS_OPTIONS } from '@tsp/fake-support';
import { startFakeElasticsearch } from './fake-server';

/**
 * Starts the fake Elasticsearch on 127.0.0.1:
 *   node dist/tools/fakes/elasticsearch/main.js --port 9200 [--tls --ca-out ca.pem]
 *     [--api-key id:key]... [--user name:password]... [--pipeline name]... [--latency-ms N]
 * Without --api-key/--user an API key is generated and printed (encoded, as the sink's
 * credentials.apiKey). Prints one JSON line {url, port, encodedApiKey?} and runs until SIGTERM/SIGINT.
 * Faults and latency can be changed at runtime: POST/DELETE /_fake/faults, PUT /_fake/latency.
 */
const cli = new FakeCli('fake-elasticsearch');
const { values } = cli.parse(() =>
  parseArgs({
    options: {
      ...PORT_OPTION,
      ...TLS_OPTIONS,
      'api-key': { type: 'string', multiple: true },
      user: { type: 'string', multiple: true },
      pipeline: { type: 'string', multiple: true },
      ...LATENCY_OPTION,
      'max-content-length': { type: 'string' },
    },
    strict: true,
  }),
);

function pairs(list: string[] | undefined, what: string): [string, string][] {
  return (list ?? []).map((s) => {
    const i = s.indexOf(':');
    if (i <= 0 || i === s.length - 1) cli.fail(`--${what} expects a:b`);
    return [s.slice(0, i), s.slice(i + 1)];
  });
}

async function main(): Promise<void> {
  const port = cli.port(values.port);
  const latencyMs = cli.integer('latency-ms', values['latency-ms'], 0);
  const maxContentLength = cli.integer('max-content-length', values['max-content-length'], 1);
  const tls = cli.tls({ generate: values.tls, caOut: values['ca-out'] });
  const fake = await startFakeElasticsearch({
    port,
    ...(tls !== undefined ? { tls } : {}),
    apiKeys: pairs(values['api-key'], 'api-key').map(([id, key]) => ({ id, key })),
    users: pairs(values.user, 'user').map(([username, password]) => ({ username, password })),
    ...(values.pipeline !== undefined ? { pipelines: values.pipeline } : {}),
    ...(maxContentLength !== undefined ? { maxContentLength } : {}),
    latencyMs,
  });
  // A generated key is printed (nobody else knows it); keys passed in are not echoed.
  const generated = fake.encodedApiKey === undefined ? {} : { encodedApiKey: fake.encodedApiKey };
  cli.serve({ url: fake.url, port: fake.port, ...generated }, () => fake.stop());
}

cli.run(main);
