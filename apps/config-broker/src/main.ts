import { runService } from '@tsp/app-support';
import { SqliteBrokerRepository } from '@tsp/broker-store';
import { createLogger } from '@tsp/observability';
import { buildBrokerApp } from './broker-app';
import { parseBrokerConfig } from './broker-config';

/**
 * The only place that reads configuration (the environment). Exits non-zero with a clear
 * message when anything is wrong; exits 0 after a graceful SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const config = parseBrokerConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: 'tsp-config-broker' });

  // The storage back end: SQLite (the embedded default); PostgreSQL will plug in here.
  const repo = new SqliteBrokerRepository({ file: config.dbFile, masterKey: config.masterKey });

  const { app } = buildBrokerApp({ repo, adminToken: config.adminToken, brokerSigningKey: config.signingKey, publicUrl: config.publicUrl, logger });

  await runService({
    name: 'config broker',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    stoppedMessage: 'config broker stopped',
    async shutdown() {
      await app.close();
      await repo.close();
    },
    async start() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      return { host: config.host, port, db: config.dbFile, publicUrl: config.publicUrl, sequence: await repo.sequence() };
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-config-broker: ${(e as Error).message}\n`);
  process.exit(1);
});
