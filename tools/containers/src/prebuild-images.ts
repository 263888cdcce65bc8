import { readdirSync, readFileSync } from 'node:fs';
import { removeOrphans } from './container-run';
import { BuiltImages, buildImages, PREBUILT_IMAGES_ENV, releaseImages } from './images';
import { ownerId, releaseHeldLocks, stopCommands } from './podman';

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
 *   node prebuild-images.js release   untags the images named by $TSP_CONTAINER_IMAGES, and
 *                                     removes the containers and volumes of test processes that
 *                                     died before their cleanup (a container pass stopped on its
 *                                     time limit).
 *
 * Exit 0 on success; 1 with the reason on stderr (the build log's end when a build failed).
 *
 * Never outlives its run: run-tests.mjs starts it as the leader of its own process group (so that
 * the group, podman build included, can be stopped at once). On SIGTERM, SIGINT or SIGHUP, or when
 * its parent is gone (checked every PARENT_POLL_MS: a runner killed with SIGKILL sends nothing), it
 * stops: its commands get SIGTERM, then, after STOP_GRACE_MS, everything left in its group
 * SIGKILL; its locks are removed (the next run need not wait for them) and it exits 1.
 */
const PARENT_POLL_MS = 2_000;
const STOP_GRACE_MS = 5_000;

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
    await removeOrphans();
    return;
  }
  throw new Error('usage: prebuild-images build|release');
}

/** The other processes of process group `pgid` (from /proc: field 5 of /proc/<pid>/stat). */
function groupMembers(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function leadsOwnGroup(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === process.pid;
  } catch {
    return false;
  }
}

let stopping = false;

function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`container images: pre-build stopped (${why})\n`);
  const group = leadsOwnGroup();
  stopCommands('SIGTERM');
  if (group) for (const pid of groupMembers(process.pid)) signal(pid, 'SIGTERM');
  const end = Date.now() + STOP_GRACE_MS;
  const poll = setInterval(() => {
    const left = group ? groupMembers(process.pid) : [];
    if (left.length > 0 && Date.now() < end) return;
    clearInterval(poll);
    stopCommands('SIGKILL');
    for (const pid of left) signal(pid, 'SIGKILL');
    releaseHeldLocks();
    process.exit(1);
  }, 200);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop(`its parent ${parent} is gone`);
}, PARENT_POLL_MS).unref();

main(process.argv[2]).catch((e: unknown) => {
  if (stopping) return;
  process.stderr.write(`container images: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
