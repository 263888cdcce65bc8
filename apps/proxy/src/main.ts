import { environmentWithServiceAccountFile, isolateCloudSdkEnvironment, runService } from '@tsp/app-support';
import { createLogger } from '@tsp/observability';
import { parseProxyConfig } from './proxy-config';
import { createProxyRuntime } from './proxy-runtime';

/**
 * The only place that reads configuration: TSP_SERVICE_ACCOUNT_FILE (optional env file), then
 * the environment, which wins. Exits non-zero with a clear message when anything is wrong.
 */
async function main(): Promise<void> {
  const ignoredAwsEndpoints = isolateCloudSdkEnvironment(process.env);
  const config = parseProxyConfig(environmentWithServiceAccountFile(process.env));
  const logger = createLogger({ level: config.logLevel, service: 'tsp-proxy' });
  if (ignoredAwsEndpoints.length > 0) logger.warn('AWS endpoint variables ignored: endpoints come from tenant configs', { variables: ignoredAwsEndpoints });
  const runtime = createProxyRuntime(config, logger);

  await runService({
    name: 'proxy',
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    shutdown: () => runtime.shutdown(),
    async start() {
      const { apiPort, healthPort } = await runtime.start();
      return { host: config.host, apiPort, healthPort, serviceConfigId: config.serviceConfigId };
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`tsp-proxy: ${(e as Error).message}\n`);
  process.exit(1);
});
