// The README's test command (`npm test`): build, type-check, run every jest suite, then print the
// one line CI reads: "N passed, N failed". Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
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

const extraArgs = process.argv.slice(2);
jest(extraArgs);
// Then the container image tests (tools/containers/src/*.container.ts: real podman builds, minutes
// the first time), apart and one at a time so they never compete with the suite above. They fail
// (never skip) when podman is missing. Skipped when the caller picked tests (arguments given).
if (extraArgs.length === 0) {
  process.stderr.write('container image tests (podman; build log: var/containers/build.log)\n');
  jest(['--testMatch', '**/*.container.ts', '--runInBand']);
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
