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

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting', { timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    runtime.shutdown().then(
      () => {
        logger.info('logdriver stopped');
        process.exit(0);
      },
      (e: unknown) => {
        logger.error('shutdown failed', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    const { port } = await runtime.start();
    logger.info('logdriver serving', { host: config.host, port, spoolDir: config.spoolDir, eventsDir: config.eventsDir, pendingEvents: runtime.spool.pendingCount() });
  } catch (e) {
    logger.error('logdriver failed to start', { error: (e as Error).message });
    await runtime.shutdown().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-logdriver: ${(e as Error).message}\n`);
  process.exit(1);
});
