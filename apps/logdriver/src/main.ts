import { environmentWithServiceAccountFile, runService } from '@tsp/app-support';
import { createLogger } from '@tsp/observability';
import { parseLogdriverConfig } from './logdriver-config';
import { createLogdriverRuntime } from './logdriver-runtime';

/**
 * The only place that reads configuration (the environment). Exits non-zero with a clear
 * message when anything is wrong; exits 0 after a graceful SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  // Sinks get explicit credentials from tenant configs: Google libraries must never probe the
  // metadata server, and AWS endpoints come from tenant configs only.
  process.env['METADATA_SERVER_DETECTION'] ??= 'none';
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  for (const k of Object.keys(process.env)) if (k === 'AWS_ENDPOINT_URL' || k.startsWith('AWS_ENDPOINT_URL_')) delete process.env[k];
  const config = parseLogdriverConfig(environmentWithServiceAccountFile(process.env));
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
      return { host: config.host, port, spoolDir: config.spoolDir, eventsDir: config.eventsDir, defaultSink: config.defaultSink, configSource: config.configSource?.configUrl ?? 'none', pendingEvents: runtime.scheduler.pendingEvents() };
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-logdriver: ${(e as Error).message}\n`);
  process.exit(1);
});
