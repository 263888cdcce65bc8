import { readFileSync } from 'node:fs';
import { parseEnvFile } from '@tsp/config-crypto';

/**
 * The variables a service reads: those of TSP_SERVICE_ACCOUNT_FILE (an env file, optional)
 * overlaid by the environment, which wins. Throws naming the file when it cannot be read.
 */
export function environmentWithServiceAccountFile(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const fileVars: Record<string, string> = {};
  const saFile = env['TSP_SERVICE_ACCOUNT_FILE'];
  if (saFile !== undefined && saFile !== '') {
    try {
      Object.assign(fileVars, parseEnvFile(readFileSync(saFile, 'utf8')));
    } catch (e) {
      throw new Error(`TSP_SERVICE_ACCOUNT_FILE ${saFile}: ${(e as Error).message}`);
    }
  }
  return { ...fileVars, ...env };
}

/**
 * Makes the cloud SDKs take credentials and endpoints from tenant configs only: Google
 * libraries never probe the metadata server (METADATA_SERVER_DETECTION=none unless set), the AWS
 * SDK's Node 20 notice is off, and AWS_ENDPOINT_URL* variables (which the AWS SDK would follow
 * for every tenant without an endpoint) are removed. Returns the names it removed, to be logged.
 */
export function isolateCloudSdkEnvironment(env: NodeJS.ProcessEnv): string[] {
  env['METADATA_SERVER_DETECTION'] ??= 'none';
  env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const removed = Object.keys(env).filter((k) => k === 'AWS_ENDPOINT_URL' || k.startsWith('AWS_ENDPOINT_URL_'));
  for (const k of removed) delete env[k];
  return removed;
}
