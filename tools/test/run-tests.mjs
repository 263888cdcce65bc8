// The README's test command (`npm test`): build, type-check, run every jest suite, then print the
// one line CI reads: "N passed, N failed". Exits non-zero when anything failed.
//
// Time: the whole run has one deadline, TOTAL_LIMIT_MS after it starts (below CI's 90 min job
// limit, so that the summary line is always printed). The steps before the container pass run to
// their end as before; the container pass (image pre-build, then the *.container.ts suites) gets
// what is left, and is stopped (its whole process group) when that runs out: one failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './system-packages.mjs';

const STARTED = Date.now();
/**
 * The whole run's deadline: 80 min. A normal run takes ~9-10 min with nothing cached (images
 * included: ~4 min of that), ~5 min warm; CI kills the job at 90 min, and the 10 min margin
 * leaves room for a stopped step's cleanup and the image release. RUN_TESTS_LIMIT_MS overrides it
 * (to check the timeout path with a tiny limit).
 */
const TOTAL_LIMIT_MS = Number(process.env.RUN_TESTS_LIMIT_MS) > 0 ? Number(process.env.RUN_TESTS_LIMIT_MS) : 80 * 60_000;
const remaining = () => STARTED + TOTAL_LIMIT_MS - Date.now();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'test-results.json');
const childEnv = (extra = {}) => ({ ...process.env, METADATA_SERVER_DETECTION: 'none', ...extra });
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: childEnv() }).status;

let passed = 0;
let failed = 0;

ensureSystemPackages();

if (run(process.execPath, ['tools/build/build.mjs']) !== 0) failed++;
else passed++;
if (run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) {
  process.stderr.write('typecheck: FAILED\n');
  failed++;
} else passed++;

const JEST = 'node_modules/jest/bin/jest.js';

/** Adds a jest run's counts (from its --outputFile) to the totals; a run that wrote no results counts as a failure. */
function count(status) {
  const before = failed;
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

/** One jest invocation, to its end; its counts are added to the totals. */
function jest(args) {
  rmSync(results, { force: true });
  count(run(process.execPath, [JEST, '--json', `--outputFile=${results}`, ...args]));
}

/**
 * How jest itself reads the caller's arguments: jest-cli's own parser (buildArgv: the installed
 * jest's options, aliases, kebab-case names, `--flag=value` and `--flag value`, array options),
 * run in a child process (it may print and exit on arguments it rejects). Returns jest's argv, or
 * an error message.
 */
function parseJestArgs(args) {
  const script = "require('jest-cli').buildArgv(process.argv.slice(1)).then((a) => process.stdout.write(JSON.stringify(a)), (e) => { process.stderr.write(String(e && e.message || e)); process.exit(2); });";
  const r = spawnSync(process.execPath, ['-e', script, '--', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) {
    try {
      return { argv: JSON.parse(r.stdout) };
    } catch {
      // fall through
    }
  }
  return { error: (r.stderr || r.stdout || `exit ${String(r.status)}`).trim().split('\n').slice(-3).join(' ') };
}

/**
 * `--bail <n>` and `-b <n>`: jest 30's --bail is a boolean option, so its parser takes the number
 * that follows as a TEST PATH PATTERN (`--bail 1` would run only the tests whose path contains
 * "1"). Rewritten as `--bail=<n>`, which is what the caller meant, before both passes.
 */
function normalizeArgs(args) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') {
      out.push(...args.slice(i));
      break;
    }
    if ((args[i] === '--bail' || args[i] === '-b') && /^\d+$/.test(args[i + 1] ?? '')) out.push(`--bail=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/** jest argv keys that pick which tests run (jest-cli's names after parsing). */
const SELECTING = ['testNamePattern', 'testPathPatterns', 'testMatch', 'testRegex', 'selectProjects', 'ignoreProjects', 'findRelatedTests', 'onlyChanged', 'changedSince', 'lastCommit', 'onlyFailures', 'listTests', 'filter'];
/** Options after which jest runs no tests at all. */
const NOT_A_RUN = ['help', 'version', 'showConfig', 'clearCache', 'watch', 'watchAll'];

/**
 * Why the caller's arguments select tests (test path patterns or a selecting option, as jest reads
 * them), or undefined for options only (e.g. --ci, --maxWorkers 2, --bail=1, --shard 1/2).
 */
function selection(args) {
  if (args.length === 0) return undefined;
  if (args.includes('-h') || args.includes('--help') || args.includes('--version')) return 'not a test run';
  const { argv, error } = parseJestArgs(args);
  if (argv === undefined) return `arguments jest does not accept: ${error}`;
  const picked = argv._.map(String);
  for (const k of SELECTING) {
    const v = argv[k];
    if (v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)) picked.push(`--${k}${v === true ? '' : ` ${Array.isArray(v) ? v.join(' ') : String(v)}`}`);
  }
  for (const k of NOT_A_RUN) if (argv[k] === true) picked.push(`--${k} (no test run)`);
  return picked.length === 0 ? undefined : picked.join(' ');
}

/** The container pass's image pre-build: at most this long (bases from mmdebstrap + three builds, cold), and never past the deadline. */
const PREBUILD_LIMIT_MS = 45 * 60_000;
/** A stopped step's group: SIGTERM, then SIGKILL after this long (on a signal to this runner: SIGNAL_GRACE_MS). */
const STOP_GRACE_MS = 15_000;
const SIGNAL_GRACE_MS = 8_000;
const duration = (ms) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);
// Built by tools/build/build.mjs (the first step) like every entry point.
const PREBUILD_SCRIPT = path.join(root, 'dist', 'tools', 'containers', 'prebuild-images.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops process group `pid`: SIGTERM, SIGKILL after `graceMs` if any of it is left; resolves when it is gone (or 5 s after the SIGKILL). */
async function stopGroup(pid, graceMs) {
  signalGroup(pid, 'SIGTERM');
  for (const end = Date.now() + graceMs; groupAlive(pid) && Date.now() < end; ) await sleep(100);
  if (!groupAlive(pid)) return;
  signalGroup(pid, 'SIGKILL');
  for (const end = Date.now() + 5_000; groupAlive(pid) && Date.now() < end; ) await sleep(100);
}

/** The step now running in its own process group (what a signal to this runner stops). */
let current;
/** Set by a signal: the runner is ending, the interrupted step's result is not used. */
let interrupted = false;

/**
 * Runs `node <args>` as the leader of its own process group, with a time limit: when it runs out,
 * the whole group (podman builds, jest workers) is stopped (stopGroup) and only then does this
 * resolve, with timedOut. stdout is kept (`capture`) or passed through; stderr passed through.
 */
function runGroup(args, { env = {}, limitMs, capture = false }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env: childEnv(env), stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], detached: true });
    current = child;
    let out = '';
    let timedOut = false;
    let stopping = Promise.resolve();
    child.stdout?.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      timedOut = true;
      stopping = stopGroup(child.pid, STOP_GRACE_MS);
    }, Math.max(0, limitMs));
    const settle = async (r) => {
      clearTimeout(timer);
      await stopping; // after a timeout, the group's SIGKILL (if needed) before going on
      if (interrupted) return; // the signal handler ends the run
      if (current === child) current = undefined;
      resolve({ ...r, out, timedOut });
    };
    child.on('error', (e) => void settle({ code: null, error: e.message }));
    child.on('close', (code, signal) => void settle({ code, signal }));
  });
}

/**
 * On SIGINT (Ctrl-C), SIGTERM (CI cancelling the job) or SIGHUP during the container pass: the
 * running step's group is stopped (it is not in the terminal's foreground group, so it did not get
 * the signal), the summary line is printed with the interruption as one failure, and the runner
 * exits 128 + the signal's number. A second signal kills the group at once. Installed only for
 * the container pass: before it, the steps run synchronously and die with the runner as before.
 */
function stopOnSignals() {
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
  for (const sig of Object.keys(numbers)) {
    process.on(sig, () => {
      if (interrupted) {
        if (current !== undefined) signalGroup(current.pid, 'SIGKILL');
        process.exit(128 + numbers[sig]);
      }
      interrupted = true;
      process.stderr.write(`run-tests: ${sig}: stopping${current === undefined ? '' : ' the running step (process group ' + current.pid + ')'}\n`);
      void (async () => {
        if (current !== undefined) await stopGroup(current.pid, SIGNAL_GRACE_MS);
        process.stdout.write(`${passed} passed, ${failed + 1} failed\n`);
        process.exit(128 + numbers[sig]);
      })();
    });
  }
}

/**
 * Builds the images once, before the container suites (which then only check them). Returns the
 * BuiltImages JSON to hand them, or undefined after printing why it failed.
 */
async function prebuildImages() {
  const started = Date.now();
  const limit = Math.min(PREBUILD_LIMIT_MS, remaining());
  process.stderr.write(`container images: pre-build (limit ${duration(limit)}; log: var/containers/build.log, bases: var/containers/bases.log)\n`);
  if (!existsSync(PREBUILD_SCRIPT)) {
    process.stderr.write(`container images: pre-build FAILED: ${path.relative(root, PREBUILD_SCRIPT)} is missing (the build step failed)\n`);
    return undefined;
  }
  const r = await runGroup([PREBUILD_SCRIPT, 'build'], { limitMs: limit, capture: true });
  const json = r.out.trim().split('\n').pop() ?? '';
  if (r.code === 0 && json.startsWith('{')) return json;
  const why = r.timedOut
    ? `no result within ${duration(limit)}${limit < PREBUILD_LIMIT_MS ? ' (what was left of the run\'s time limit)' : ''}: stopped (a RUN step podman had started may finish on its own; its buildah working containers stay: \`podman ps --external\`, \`buildah rm --all\` when no other build runs)`
    : r.error ?? `exit ${String(r.code ?? r.signal)}`;
  process.stderr.write(`container images: pre-build FAILED after ${duration(Date.now() - started)}: ${why}; see the message above and var/containers/build.log\n`);
  return undefined;
}

/** The *.container.ts suites, one at a time, stopped (as one failure) when the run's time is up. */
async function containerPass(args, images) {
  rmSync(results, { force: true });
  const limit = remaining();
  // --forceExit: a suite whose afterAll failed may leave handles open; the pass must still end.
  const r = await runGroup([JEST, '--json', `--outputFile=${results}`, ...args, '--testMatch', '**/*.container.ts', '--runInBand', '--forceExit'], { env: { TSP_CONTAINER_IMAGES: images }, limitMs: limit });
  if (r.timedOut) {
    failed++;
    process.stderr.write(`container tests: STOPPED: the run's time limit (${duration(TOTAL_LIMIT_MS)} in all) ran out after ${duration(limit)} of them (counted as one failure; the counts of suites that finished are lost)\n`);
    return;
  }
  count(r.code ?? 1);
}

const extraArgs = normalizeArgs(process.argv.slice(2));
jest(extraArgs);
// Then the container image tests (tools/containers/src/*.container.ts: real podman builds, minutes
// the first time), apart and one at a time so they never compete with the suite above. They fail
// (never skip) when podman is missing. The images are built once first (one step of the totals,
// with its own time limit); the suites only check they exist. Skipped only when the caller picked
// tests (a test path or a selecting option, as jest reads the arguments); options such as --ci
// or --maxWorkers 2 keep it and are passed on.
const picked = selection(extraArgs);
if (picked !== undefined) {
  process.stderr.write(`container tests: skipped (tests selected: ${picked})\n`);
} else if (remaining() <= 0) {
  failed++;
  process.stderr.write(`container tests: NOT RUN: the run's time limit (${duration(TOTAL_LIMIT_MS)}) ran out before them (counted as one failure)\n`);
} else {
  stopOnSignals();
  const images = await prebuildImages();
  if (images === undefined) {
    failed++;
    process.stderr.write('container tests: NOT RUN (the image pre-build failed; counted as one failure)\n');
  } else {
    passed++;
    process.stderr.write(`container image tests (podman; build log: var/containers/build.log; time left: ${duration(remaining())})\n`);
    await containerPass(extraArgs, images);
    // Bounded on its own (after a pass stopped on the deadline it still runs): at most 5 min.
    const released = await runGroup([PREBUILD_SCRIPT, 'release'], { env: { TSP_CONTAINER_IMAGES: images }, limitMs: Math.min(5 * 60_000, Math.max(60_000, remaining())) });
    if (released.code !== 0) process.stderr.write("container images: could not remove this run's image tags (the next build removes them)\n");
  }
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
