import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { startFakeDatadog } from './fake-server';

/**
 * Starts the fake Datadog Logs intake on 127.0.0.1:
 *   node dist/tools/fakes/datadog/main.js --port 8126 [--tls --ca-out ca.pem] [--api-key KEY]... [--latency-ms N]
 * Without --api-key a key is generated and printed. Prints one JSON line {url, port, apiKey?}
 * and runs until SIGTERM/SIGINT. Faults and latency can be changed at runtime:
 * POST/DELETE /_fake/faults, PUT /_fake/latency; GET /_fake/received lists the accepted logs.
 */
function fail(message: string): never {
  process.stderr.write(`fake-datadog: ${message}\n`);
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
        'latency-ms': { type: 'string', default: '0' },
      },
      strict: true,
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
const { values } = parseCli();

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isInteger(latencyMs) || latencyMs < 0) fail('--latency-ms must be a non-negative integer');
  const tls: LoopbackCertificate | undefined = values.tls ? generateLoopbackCertificate() : undefined;
  if (tls !== undefined && values['ca-out'] !== undefined) writeFileSync(values['ca-out'], tls.cert);
  const fake = await startFakeDatadog({ port, latencyMs, ...(tls !== undefined ? { tls } : {}), ...(values['api-key'] !== undefined ? { apiKeys: values['api-key'] } : {}) });
  // A generated key is printed (nobody else knows it); keys passed in are not echoed.
  const generated = values['api-key'] === undefined ? { apiKey: fake.apiKey } : {};
  process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port, ...generated })}\n`);
  const stop = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
