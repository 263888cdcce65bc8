// The README's test command (`npm test`): build, type-check, run every jest suite, then print the
// one line CI reads: "N passed, N failed". Exits non-zero when anything failed.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './system-packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'test-results.json');
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, METADATA_SERVER_DETECTION: 'none' } }).status;

let passed = 0;
let failed = 0;

ensureSystemPackages();

if (run(process.execPath, ['tools/build/build.mjs']) !== 0) failed++;
else passed++;
if (run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) {
  process.stderr.write('typecheck: FAILED\n');
  failed++;
} else passed++;

/** One jest invocation; its counts are added to the totals (a run that wrote no results counts as a failure). */
function jest(args) {
  rmSync(results, { force: true });
  const before = failed;
  const status = run(process.execPath, ['node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`, ...args]);
  try {
    const r = JSON.parse(readFileSync(results, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    // A suite that failed to run (syntax error, failing hook) has no failed tests of its own.
    failed += r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
  } catch {
    failed++;
  }
  if (status !== 0 && failed === before) failed++;
}

/**
 * Jest options that take a value as the next argument (`--flag value`), so that value is not
 * mistaken for a test path. `--flag=value` needs no entry.
 */
const VALUE_FLAGS = new Set(['-c', '--config', '-w', '--maxWorkers', '--outputFile', '--reporters', '--testTimeout', '--shard', '--seed', '--coverageDirectory', '--coverageProvider', '--cacheDirectory', '--rootDir', '--roots', '--testEnvironment', '--maxConcurrency', '-t', '--testNamePattern', '--testPathPattern', '--testPathPatterns', '--testPathIgnorePatterns', '--testMatch', '--testRegex', '--selectProjects', '--findRelatedTests', '--collectCoverageFrom', '--changedSince']);
/** Options that pick which tests run: with one of them (or a test path) the caller chose the tests. */
const SELECTING_FLAGS = new Set(['-t', '--testNamePattern', '--testPathPattern', '--testPathPatterns', '--testMatch', '--testRegex', '--selectProjects', '--findRelatedTests', '--onlyChanged', '-o', '--changedSince', '--lastCommit', '--onlyFailures', '-f', '--listTests']);

/** Why the caller's arguments select tests (test paths or a selecting option), or undefined for flags only (e.g. --ci). */
function selection(args) {
  const picked = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.split('=')[0];
    if (a === '--') {
      picked.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-')) picked.push(a);
    else if (SELECTING_FLAGS.has(name)) picked.push(a);
    if (VALUE_FLAGS.has(a)) {
      if (SELECTING_FLAGS.has(a) && args[i + 1] !== undefined) picked[picked.length - 1] += ` ${args[i + 1]}`;
      i++; // its value
    }
  }
  return picked.length === 0 ? undefined : picked.join(' ');
}

/** The container pass's image pre-build: one step, one time limit (bases from mmdebstrap + three builds, cold). */
const PREBUILD_LIMIT_MS = 45 * 60_000;
const duration = (ms) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);
const PREBUILD_SCRIPT = path.join(root, 'dist', 'tools', 'containers', 'prebuild-images.js');

/** Bundles tools/containers/src/prebuild-images.ts (same depth under dist/ as in the tree: it finds the repo root from its own directory). */
async function bundlePrebuild() {
  const { build } = await import('esbuild');
  await build({ absWorkingDir: root, entryPoints: [path.join(root, 'tools/containers/src/prebuild-images.ts')], outfile: PREBUILD_SCRIPT, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', tsconfig: path.join(root, 'tsconfig.json'), logLevel: 'warning' });
}

/** Runs the pre-build script in its own process group; on the time limit, the whole group (podman build included) is stopped. */
function runPrebuild(command, env, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PREBUILD_SCRIPT, command], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const group = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      group('SIGTERM');
      setTimeout(() => group('SIGKILL'), 15_000).unref();
    }, limitMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out, timedOut, error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

/**
 * Builds the images once, before the container suites (which then only check them). Returns the
 * BuiltImages JSON to hand them, or undefined after printing why it failed.
 */
async function prebuildImages() {
  const started = Date.now();
  process.stderr.write(`container images: pre-build (limit ${duration(PREBUILD_LIMIT_MS)}; log: var/containers/build.log, bases: var/containers/bases.log)\n`);
  try {
    await bundlePrebuild();
  } catch (e) {
    process.stderr.write(`container images: pre-build FAILED: could not bundle tools/containers/src/prebuild-images.ts: ${e instanceof Error ? e.message : String(e)}\n`);
    return undefined;
  }
  const r = await runPrebuild('build', {}, PREBUILD_LIMIT_MS);
  const json = r.out.trim().split('\n').pop() ?? '';
  if (r.code === 0 && json.startsWith('{')) return json;
  const why = r.timedOut
    ? `no result within ${duration(PREBUILD_LIMIT_MS)}: stopped (a RUN step podman had started may finish on its own; its buildah working containers stay: \`podman ps --external\`, \`buildah rm --all\` when no other build runs)`
    : r.error ?? `exit ${String(r.code)}`;
  process.stderr.write(`container images: pre-build FAILED after ${duration(Date.now() - started)}: ${why}; see the message above and var/containers/build.log\n`);
  return undefined;
}

const extraArgs = process.argv.slice(2);
jest(extraArgs);
// Then the container image tests (tools/containers/src/*.container.ts: real podman builds, minutes
// the first time), apart and one at a time so they never compete with the suite above. They fail
// (never skip) when podman is missing. The images are built once first (one step of the totals,
// with its own time limit); the suites only check they exist. Skipped only when the caller picked
// tests (a test path or a selecting option); flags such as --ci keep it and are passed on.
const picked = selection(extraArgs);
if (picked !== undefined) {
  process.stderr.write(`container tests: skipped (tests selected: ${picked})\n`);
} else {
  const images = await prebuildImages();
  if (images === undefined) {
    failed++;
    process.stderr.write('container tests: NOT RUN (the image pre-build failed; counted as one failure)\n');
  } else {
    passed++;
    process.stderr.write('container image tests (podman; build log: var/containers/build.log)\n');
    const before = process.env.TSP_CONTAINER_IMAGES;
    process.env.TSP_CONTAINER_IMAGES = images;
    jest([...extraArgs, '--testMatch', '**/*.container.ts', '--runInBand']);
    const released = await runPrebuild('release', { TSP_CONTAINER_IMAGES: images }, 5 * 60_000);
    if (released.code !== 0) process.stderr.write('container images: could not remove this run\'s image tags (the next build removes them)\n');
    if (before === undefined) delete process.env.TSP_CONTAINER_IMAGES;
    else process.env.TSP_CONTAINER_IMAGES = before;
  }
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
