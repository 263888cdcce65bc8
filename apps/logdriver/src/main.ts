import { runService } from '@tsp/app-support';
import { createLogger } from '@tsp/observability';
import { parseLogdriverConfig } from './logdriver-config';
import { createLogdriverRuntime } from './logdriver-runtime';

/**
 * The only place that reads configuration (the environment). Exits non-zero with a clear
 * message when anything is wrong; exits 0 after a graceful SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const config = parseLogdriverConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: 'tsp-logdriver' });
  const runtime = createLogdriverRuntime(config, logger);

  await runService({
    name: 'logdriver',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    stoppedMessage: 'logdriver stopped',
    shutdown: () => runtime.shutdown(),
    async start() {
      const { port } = await runtime.start();
      return { host: config.host, port, spoolDir: config.spoolDir, eventsDir: config.eventsDir, pendingEvents: runtime.spool.pendingCount() };
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-logdriver: ${(e as Error).message}\n`);
  process.exit(1);
});
