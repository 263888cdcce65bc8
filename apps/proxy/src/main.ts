import { readFileSync } from 'node:fs';
import { parseEnvFile } from '@tsp/config-crypto';
import { runService } from '@tsp/app-support';
import { createLogger } from '@tsp/observability';
import { parseProxyConfig } from './proxy-config';
import { createProxyRuntime } from './proxy-runtime';

/**
 * The only place that reads configuration: TSP_SERVICE_ACCOUNT_FILE (optional env file), then
 * the environment, which wins. Exits non-zero with a clear message when anything is wrong.
 */
async function main(): Promise<void> {
  // Every cloud credential is explicit (from tenant configs): Google libraries must never probe
  // the metadata server, and the AWS SDK's Node 20 support notice is noise in our logs.
  process.env['METADATA_SERVER_DETECTION'] ??= 'none';
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  // Endpoints come from tenant configs only: the AWS SDK would otherwise follow these variables
  // for every tenant whose config has no endpoint.
  const ignoredAwsEndpoints = Object.keys(process.env).filter((k) => k === 'AWS_ENDPOINT_URL' || k.startsWith('AWS_ENDPOINT_URL_'));
  for (const k of ignoredAwsEndpoints) delete process.env[k];
  const fileVars: Record<string, string> = {};
  const saFile = process.env['TSP_SERVICE_ACCOUNT_FILE'];
  if (saFile !== undefined && saFile !== '') {
    try {
      Object.assign(fileVars, parseEnvFile(readFileSync(saFile, 'utf8')));
    } catch (e) {
      throw new Error(`TSP_SERVICE_ACCOUNT_FILE ${saFile}: ${(e as Error).message}`);
    }
  }
  const config = parseProxyConfig({ ...fileVars, ...process.env });
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
