// A minimal fake on the shared command-line frame, bundled and run by fake-cli.spec.ts.
import { parseArgs } from 'node:util';
import { FakeCli, HELP_OPTION, LATENCY_OPTION, PORT_OPTION, TLS_FILE_OPTIONS, TLS_OPTIONS } from './fake-cli';
import { sendJson } from './json-answer';
import { startLoopbackServer } from './loopback-server';

const cli = new FakeCli('fake-fixture', 'usage: fixture.js [--port N] [--tls --ca-out F] [--latency-ms N]');
const { values } = cli.parse(() => parseArgs({ options: { ...PORT_OPTION, ...TLS_OPTIONS, ...TLS_FILE_OPTIONS, ...LATENCY_OPTION, ...HELP_OPTION }, strict: true }));

async function main(): Promise<void> {
  if (cli.helpAsked(values.help)) return;
  const port = cli.port(values.port);
  const latencyMs = cli.integer('latency-ms', values['latency-ms'], 0);
  const tls = cli.tls({ generate: values.tls, certFile: values['tls-cert'], keyFile: values['tls-key'], caOut: values['ca-out'] });
  const server = await startLoopbackServer((_req, res) => sendJson(res, 200, { latencyMs }), { port, ...(tls !== undefined ? { tls } : {}) });
  cli.serve({ url: server.url, port: server.port }, () => server.stop());
}

cli.run(main);
