import { environmentWithServiceAccountFile, isolateCloudSdkEnvironment, runService } from '@tsp/app-support';
import { urlForLogs } from '@tsp/broker-client';
import { createLogger } from '@tsp/observability';
import { parseLogdriverConfig } from './logdriver-config';
import { createLogdriverRuntime } from './logdriver-runtime';

/**
 * The only place that reads configuration (the environment). Exits non-zero with a clear
 * message when anything is wrong; exits 0 after a graceful SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const ignoredAwsEndpoints = isolateCloudSdkEnvironment(process.env);
  const config = parseLogdriverConfig(environmentWithServiceAccountFile(process.env));
  const logger = createLogger({ level: config.logLevel, service: 'tsp-logdriver' });
  if (ignoredAwsEndpoints.length > 0) logger.warn('AWS endpoint variables ignored: endpoints come from tenant configs', { variables: ignoredAwsEndpoints });
  const runtime = createLogdriverRuntime(config, logger);

  await runService({
    name: 'logdriver',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    stoppedMessage: 'logdriver stopped',
    shutdown: () => runtime.shutdown(),
    async start() {
      const { port } = await runtime.start();
      return { host: config.host, port, spoolDir: config.spoolDir, eventsDir: config.eventsDir, defaultSink: config.defaultSink, configSource: config.configSource === undefined ? 'none' : withoutSecrets(config.configSource.configUrl), pendingEvents: runtime.scheduler.pendingEvents() };
    },
  });
}

function withoutSecrets(url: string): string {
  try {
    return urlForLogs(new URL(url));
  } catch {
    return '(unparsable URL)';
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-logdriver: ${(e as Error).message}\n`);
  process.exit(1);
});
