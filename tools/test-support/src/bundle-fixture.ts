import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Bundles a test fixture (a small TypeScript entry point a spec runs as a child process or a
 * cluster worker) into one CommonJS file, as tools/build/build.mjs bundles the apps: workspace
 * libs inlined through the tsconfig paths, npm packages left external.
 */
export async function bundleTestFixture(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    absWorkingDir: ROOT,
    logLevel: 'silent',
  });
}
