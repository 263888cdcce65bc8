import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { FakeHecToken, startFakeSplunkHec } from './fake-server';

/**
 * Starts the fake Splunk HEC on 127.0.0.1:
 *   node dist/tools/fakes/splunk-hec/main.js --port 8088 --token <token> --index main --index sec \
 *     [--ack] [--max-content-length N] [--tls --ca-out /tmp/fake-hec-ca.pem]
 * Without --token a random token is made and printed. Prints one JSON line {url, port, token?}
 * and runs until SIGTERM/SIGINT; faults can be added at runtime with POST /_fake/faults.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    token: { type: 'string' },
    index: { type: 'string', multiple: true },
    ack: { type: 'boolean', default: false },
    'max-content-length': { type: 'string' },
    tls: { type: 'boolean', default: false },
    'ca-out': { type: 'string' },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`fake-splunk-hec: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const maxContentLength = values['max-content-length'] === undefined ? undefined : Number(values['max-content-length']);
  if (maxContentLength !== undefined && (!Number.isInteger(maxContentLength) || maxContentLength < 1)) fail('--max-content-length must be a positive integer');
  let tls: LoopbackCertificate | undefined;
  if (values.tls) {
    tls = generateLoopbackCertificate();
    if (values['ca-out'] !== undefined) writeFileSync(values['ca-out'], tls.cert);
  }
  const token: FakeHecToken | undefined =
    values.token === undefined ? undefined : { token: values.token, ack: values.ack, ...(values.index !== undefined ? { indexes: values.index } : {}) };
  const fake = await startFakeSplunkHec({
    port,
    ...(tls !== undefined ? { tls } : {}),
    ...(maxContentLength !== undefined ? { maxContentLength } : {}),
    ...(token !== undefined
      ? { tokens: [token] }
      : { tokens: [{ token: randomUUID(), ack: values.ack, ...(values.index !== undefined ? { indexes: values.index } : {}) }] }),
  });
  // A generated token is printed (nobody else knows it); one passed in is not echoed.
  const generated = values.token === undefined ? { token: fake.tokens[0]?.token } : {};
  process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port, ...generated })}\n`);
  const stop = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
