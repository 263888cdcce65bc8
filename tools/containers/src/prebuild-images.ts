import { BuiltImages, buildImages, PREBUILT_IMAGES_ENV, releaseImages } from './images';
import { ownerId } from './podman';

/**
 * The container pass's pre-build step (tools/test/run-tests.mjs bundles this file with esbuild
 * and runs it with one time limit, before the *.container.ts suites, which then only check that
 * the images exist: testImages in images.ts).
 *
 *   node prebuild-images.js build     builds the local bases and the three images (npm ci reaches
 *                                     the npm registry, mmdebstrap deb.debian.org: by design) as
 *                                     the run of the PARENT process (the test runner, which lives
 *                                     through the container pass); prints the BuiltImages JSON as
 *                                     its last stdout line.
 *   node prebuild-images.js release   untags the images named by $TSP_CONTAINER_IMAGES.
 *
 * Exit 0 on success; 1 with the reason on stderr (the build log's end when a build failed).
 */
async function main(command: string | undefined): Promise<void> {
  if (command === 'build') {
    const started = Date.now();
    const built = await buildImages({ owner: ownerId(process.ppid) });
    process.stderr.write(`container images: built in ${Math.round((Date.now() - started) / 1000)} s (log: ${built.logFile})\n`);
    process.stdout.write(`${JSON.stringify(built)}\n`);
    return;
  }
  if (command === 'release') {
    const handed = process.env[PREBUILT_IMAGES_ENV];
    if (handed === undefined || handed === '') throw new Error(`${PREBUILT_IMAGES_ENV} is not set`);
    await releaseImages(JSON.parse(handed) as BuiltImages);
    return;
  }
  throw new Error('usage: prebuild-images build|release');
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`container images: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
