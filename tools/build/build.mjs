// Builds every runnable entry point into dist/ with esbuild: one bundle per app/tool, with
// workspace libs inlined (path aliases from tsconfig) and npm packages left external.
// Type checking is separate: `npm run typecheck` (tsc --noEmit), run by `npm test`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ENTRY_POINTS = {
  'apps/proxy/main': 'apps/proxy/src/main.ts',
  'apps/logdriver/main': 'apps/logdriver/src/main.ts',
  'apps/logdriver/dead-letters': 'apps/logdriver/src/dead-letter-cli.ts',
  'apps/config-broker/main': 'apps/config-broker/src/main.ts',
  'tools/admin-cli/main': 'tools/admin-cli/src/main.ts',
  'tools/dev-stack/main': 'tools/dev-stack/src/main.ts',
  'tools/bench/main': 'tools/bench/src/main.ts',
  // The container tests' image pre-build, run by tools/test/run-tests.mjs before the container pass.
  'tools/containers/prebuild-images': 'tools/containers/src/prebuild-images.ts',
  'tools/fakes/aws-kms/main': 'tools/fakes/aws-kms/src/main.ts',
  'tools/fakes/gcp-kms/main': 'tools/fakes/gcp-kms/src/main.ts',
  'tools/fakes/azure-keyvault/main': 'tools/fakes/azure-keyvault/src/main.ts',
  'tools/fakes/azure-monitor/main': 'tools/fakes/azure-monitor/src/main.ts',
  'tools/fakes/cloudwatch-logs/main': 'tools/fakes/cloudwatch-logs/src/main.ts',
  'tools/fakes/datadog/main': 'tools/fakes/datadog/src/main.ts',
  'tools/fakes/elasticsearch/main': 'tools/fakes/elasticsearch/src/main.ts',
  'tools/fakes/google-cloud-logging/main': 'tools/fakes/google-cloud-logging/src/main.ts',
  'tools/fakes/splunk-hec/main': 'tools/fakes/splunk-hec/src/main.ts',
  'tools/fakes/sumo-logic/main': 'tools/fakes/sumo-logic/src/main.ts',
  'tools/fakes/webhook-receiver/main': 'tools/fakes/webhook-receiver/src/main.ts',
};

const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([out, src]) => [out, path.join(root, src)])),
  outdir: path.join(root, 'dist'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  tsconfig: path.join(root, 'tsconfig.json'),
  logLevel: 'warning',
});
process.stderr.write(`build: ${Object.keys(ENTRY_POINTS).length} entry points in ${Date.now() - started} ms\n`);
