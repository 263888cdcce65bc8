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
