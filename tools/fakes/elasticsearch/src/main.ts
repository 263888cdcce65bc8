import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { startFakeElasticsearch } from './fake-server';

/**
 * Starts the fake Elasticsearch on 127.0.0.1:
 *   node dist/tools/fakes/elasticsearch/main.js --port 9200 [--tls --ca-out ca.pem]
 *     [--api-key id:key]... [--user name:password]... [--pipeline name]... [--latency-ms N]
 * Without --api-key/--user an API key is generated and printed (encoded, as the sink's
 * credentials.apiKey). Prints one JSON line {url, port, encodedApiKey?} and runs until SIGTERM/SIGINT.
 * Faults and latency can be changed at runtime: POST/DELETE /_fake/faults, PUT /_fake/latency.
 */
function fail(message: string): never {
  process.stderr.write(`fake-elasticsearch: ${message}\n`);
  process.exit(2);
}

/** The command line; a bad option ends the process with its message (no stack). */
function parseCli() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        tls: { type: 'boolean', default: false },
        'ca-out': { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        user: { type: 'string', multiple: true },
        pipeline: { type: 'string', multiple: true },
        'latency-ms': { type: 'string', default: '0' },
        'max-content-length': { type: 'string' },
      },
      strict: true,
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
const { values } = parseCli();

function pairs(list: string[] | undefined, what: string): [string, string][] {
  return (list ?? []).map((s) => {
    const i = s.indexOf(':');
    if (i <= 0 || i === s.length - 1) fail(`--${what} expects a:b`);
    return [s.slice(0, i), s.slice(i + 1)];
  });
}

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isInteger(latencyMs) || latencyMs < 0) fail('--latency-ms must be a non-negative integer');
  const maxContentLength = values['max-content-length'] === undefined ? undefined : Number(values['max-content-length']);
  if (maxContentLength !== undefined && !(Number.isInteger(maxContentLength) && maxContentLength > 0)) fail('--max-content-length must be a positive integer');
  const tls: LoopbackCertificate | undefined = values.tls ? generateLoopbackCertificate() : undefined;
  if (tls !== undefined && values['ca-out'] !== undefined) writeFileSync(values['ca-out'], tls.cert);
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
  process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port, ...generated })}\n`);
  const stop = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
