import { isolateCloudSdkEnvironment, runService } from '@tsp/app-support';
import { BrokerRepository, PostgresBrokerRepository, SqliteBrokerRepository } from '@tsp/broker-store';
import { createLogger } from '@tsp/observability';
import { HttpEventChannel, StreamEventChannel } from '@tsp/events';
import { AdminEventForwarder } from './admin-event-forwarder';
import { buildBrokerApp } from './broker-app';
import { parseBrokerConfig } from './broker-config';
import { loadBrokerKmsProviders, withMasterKey } from './master-key';
import { sessionKeyFrom } from './tenant-admin-auth';

/**
 * The only place that reads configuration (the environment). Exits non-zero with a clear
 * message when anything is wrong; exits 0 after a graceful SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  // A KMS-wrapped master key is unwrapped here, once (master-key.ts): SDKs take credentials and endpoints from its KMS config only.
  const ignoredAwsEndpoints = isolateCloudSdkEnvironment(process.env);
  const config = await withMasterKey(parseBrokerConfig(process.env), { providers: () => loadBrokerKmsProviders() });
  const logger = createLogger({ level: config.logLevel, service: 'tsp-config-broker' });
  if (ignoredAwsEndpoints.length > 0) logger.warn('AWS endpoint variables ignored: the endpoint comes from TSP_BROKER_MASTER_KEY_KMS', { variables: ignoredAwsEndpoints });

  // The storage back end: SQLite (the embedded default), or PostgreSQL when TSP_BROKER_DB is a postgres:// URL.
  const db = config.database;
  const repo: BrokerRepository =
    db.kind === 'postgres'
      ? await PostgresBrokerRepository.open({ connectionString: db.connectionString, masterKey: config.masterKey })
      : new SqliteBrokerRepository({ file: db.file, masterKey: config.masterKey });

  // Every admin change reaches its tenant's logging as an ADMIN_* event, through the logdriver (or stdout).
  const channel = config.logdriverUrl === '' ? new StreamEventChannel(process.stdout) : new HttpEventChannel(config.logdriverUrl, 10_000);
  const adminEvents = new AdminEventForwarder({ repo, channel, logger });

  const { app } = buildBrokerApp({ repo, adminToken: config.adminToken, brokerSigningKey: config.signingKey, sessionKey: sessionKeyFrom(config.masterKey, config.adminToken), adminEvents, publicUrl: config.publicUrl, logger });

  await runService({
    name: 'config broker',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    stoppedMessage: 'config broker stopped',
    async shutdown() {
      await app.close();
      await adminEvents.stop();
      await repo.close();
    },
    async start() {
      await app.listen({ host: config.host, port: config.port });
      adminEvents.start();
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      return { host: config.host, port, db: db.forLogs, publicUrl: config.publicUrl, sequence: await repo.sequence() };
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-config-broker: ${(e as Error).message}\n`);
  process.exit(1);
});
