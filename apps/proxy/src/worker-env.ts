/**
 * The environment a cluster worker is forked with. node:cluster copies the primary's environment
 * into each worker; the settings (API keys, the service account's private keys) would then sit
 * in /proc/<worker>/environ although a worker reads nothing from its environment: its config
 * comes over IPC (cluster-messages.ts). So every proxy setting is removed: TSP_* (this app's
 * settings, TSP_SERVICE_ACCOUNT_FILE, a logdriver's TSP_LOGDRIVER_* sharing the environment),
 * API_KEY* and LOGDRIVER_URL. What node and the SDKs need stays: PATH, NODE_OPTIONS,
 * NODE_EXTRA_CA_CERTS, and the variables isolateCloudSdkEnvironment set in the primary
 * (METADATA_SERVER_DETECTION, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED; it also removed
 * AWS_ENDPOINT_URL*, which the worker therefore never sees).
 */
export function isWorkerHiddenVariable(name: string): boolean {
  return name.startsWith('TSP_') || name.startsWith('API_KEY') || name === 'LOGDRIVER_URL';
}

/**
 * The argument for cluster.fork(env): `env` with every hidden variable set to undefined (node
 * merges the argument over process.env and leaves out variables whose value is undefined).
 */
export function workerEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of Object.keys(env)) if (isWorkerHiddenVariable(name)) out[name] = undefined;
  return out;
}
