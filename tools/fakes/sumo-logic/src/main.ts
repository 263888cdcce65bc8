import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateLoopbackCertificate, LoopbackCertificate } from '@tsp/fake-azure-keyvault';
import { startFakeSumoLogic } from './fake-server';

/**
 * Starts the fake Sumo Logic HTTP source on 127.0.0.1:
 *   node dist/tools/fakes/sumo-logic/main.js --port 9090 [--token T ...] [--max-payload-bytes N] \
 *     [--tls --ca-out /tmp/fake-sumo-ca.pem]
 * Without --token a random one is made. Prints one JSON line {url, port, sourceUrl?} (sourceUrl, the
 * secret, only when the token was generated here) and runs until SIGTERM/SIGINT.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    token: { type: 'string', multiple: true },
    'max-payload-bytes': { type: 'string' },
    tls: { type: 'boolean', default: false },
    'ca-out': { type: 'string' },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`fake-sumo-logic: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const max = values['max-payload-bytes'] === undefined ? undefined : Number(values['max-payload-bytes']);
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) fail('--max-payload-bytes must be a positive integer');
  let tls: LoopbackCertificate | undefined;
  if (values.tls) {
    tls = generateLoopbackCertificate();
    if (values['ca-out'] !== undefined) writeFileSync(values['ca-out'], tls.cert);
  }
  const fake = await startFakeSumoLogic({
    port,
    ...(tls !== undefined ? { tls } : {}),
    ...(max !== undefined ? { maxPayloadBytes: max } : {}),
    ...(values.token !== undefined ? { tokens: values.token } : {}),
  });
  const generated = values.token === undefined ? { sourceUrl: fake.sourceUrl() } : {};
  process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port, ...generated })}\n`);
  const stop = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
