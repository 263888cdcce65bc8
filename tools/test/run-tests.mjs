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

rmSync(results, { force: true });
const jestStatus = run(process.execPath, ['node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`, ...process.argv.slice(2)]);
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A suite that failed to run (syntax error, failing hook) has no failed tests of its own.
  failed += r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
} catch {
  failed++;
}
if (jestStatus !== 0 && failed === 0) failed++;
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
