import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The repository root (build context of docker/*.Dockerfile). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Where the container helpers keep their containers.conf and build logs (var/ is git-ignored). */
export const CONTAINERS_VAR_DIR = path.join(REPO_ROOT, 'var', 'containers');
/**
 * Where the build locks live: machine-wide, not per checkout, because podman's image store (and
 * the tags localhost/tsp-*) is shared by every checkout on the machine (a CI clone and a work tree).
 */
export const LOCK_DIR = path.join(tmpdir(), 'tsp-containers-locks');

/**
 * What podman and buildah need on our machines (issue 6's recipe): cgroups are hybrid and root
 * cannot raise rlimits, so crun and the systemd cgroup manager fail; runc + cgroupfs, events to a
 * file, and ulimits within what the host grants. Used through CONTAINERS_CONF for every call:
 * /etc is never edited.
 */
export const CONTAINERS_CONF_TEXT = `# Written by tools/containers (podman.ts): used via CONTAINERS_CONF, /etc/containers untouched.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

/** Writes var/containers/containers.conf (idempotent) and returns its path. */
export function containersConf(): string {
  mkdirSync(CONTAINERS_VAR_DIR, { recursive: true });
  const file = path.join(CONTAINERS_VAR_DIR, 'containers.conf');
  writeFileSync(file, CONTAINERS_CONF_TEXT);
  return file;
}

/** The environment of every podman/buildah call: the caller's, plus CONTAINERS_CONF. */
export function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: containersConf() };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Killed (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Appends stdout and stderr here instead of keeping them (long builds). */
  logFile?: string;
  /** Written to the command's stdin. */
  input?: string;
}

/** The commands runCommand is running (stopCommands signals them). */
const running = new Set<ChildProcess>();
let stopped = false;

/**
 * Sends `signal` to every command runCommand is running and refuses new ones from then on (they
 * reject): for a process that is being stopped (prebuild-images.ts on SIGTERM or its parent's end).
 */
export function stopCommands(signal: NodeJS.Signals): void {
  stopped = true;
  for (const child of running) child.kill(signal);
}

/** Runs a command to its end (bounded); never throws for a non-zero exit: see `code`. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  if (stopped) return Promise.reject(new Error(`${cmd} not started: stopping`));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const logFd = opts.logFile === undefined ? undefined : openAppend(opts.logFile);
    const child = spawn(cmd, [...args], { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', logFd ?? 'pipe', logFd ?? 'pipe'] });
    running.add(child);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    let closed = false;
    const done = (): void => {
      running.delete(child);
      clearTimeout(timer);
      if (logFd !== undefined && !closed) closeSync(logFd);
      closed = true;
    };
    child.once('error', (e) => {
      done();
      reject(new Error(`${cmd} could not be started: ${e.message}`));
    });
    child.once('close', (code) => {
      done();
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

function openAppend(file: string): number {
  mkdirSync(path.dirname(file), { recursive: true });
  return openSync(file, 'a');
}

/** `podman <args>` with our containers.conf. */
export function podman(args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  return runCommand('podman', args, { ...opts, env: podmanEnv() });
}

/** `podman <args>`, throwing with podman's stderr (never our env) when it fails; returns stdout trimmed. */
export async function podmanOk(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args[0] ?? ''} ${args[1] ?? ''} failed (exit ${String(r.code)}): ${r.stderr.trim().slice(-2000)}`);
  return r.stdout.trim();
}

/**
 * Fails with a clear message when podman cannot run here (not installed, or not working): the
 * container tests must fail, never skip. tools/test/system-packages.mjs installs it on Debian.
 */
export function requirePodman(): void {
  const v = spawnSync('podman', ['--version'], { env: podmanEnv(), encoding: 'utf8' });
  if (v.error !== undefined || v.status !== 0) {
    throw new Error(
      'podman is not available: the container image tests need podman, buildah, runc, catatonit and mmdebstrap (Debian: apt-get install -y --no-install-recommends podman buildah skopeo umoci runc catatonit mmdebstrap; npm test installs them when run as root)',
    );
  }
  const info = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { env: podmanEnv(), encoding: 'utf8' });
  if (info.status !== 0) throw new Error(`podman is installed but does not work here: ${String(info.stderr).trim().slice(-1000)}`);
}

/** Whether a local image exists. */
export async function imageExists(ref: string): Promise<boolean> {
  return (await podman(['image', 'exists', ref])).code === 0;
}

/** Force-removes containers by name (missing ones are fine). */
export async function removeContainers(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await podman(['rm', '-f', '-t', '0', '--ignore', ...names], { timeoutMs: 60_000 });
}

/** Removes named volumes (missing ones are fine). */
export async function removeVolumes(names: readonly string[]): Promise<void> {
  for (const n of names) await podman(['volume', 'rm', '-f', n], { timeoutMs: 30_000 });
}

/**
 * Who owns a lock, a container, a volume or a run tag: `b<boot id>-n<pid namespace>-p<pid>-s<start
 * time>`. A bare pid is not enough: it is reused, and meaningless in another pid namespace (a CI
 * job in a container sharing this podman storage). Also a valid image tag (see images.ts).
 */
export function ownerId(pid = process.pid): string {
  return `b${bootId()}-n${pidNamespace()}-p${pid}-s${startTime(pid) ?? 'x'}`;
}

const OWNER_RE = /^b([0-9a-fx]+)-n(\d+|x)-p(\d+)-s(\d+|x)$/;

/**
 * How long an owner in another pid namespace (which we cannot see) counts as alive: its age comes
 * from its start time (ticks after boot; the boot id is machine-wide). No test run lasts this long
 * (tools/test/run-tests.mjs stops everything after 80 min), so its leftovers are then removed.
 */
export const FOREIGN_OWNER_MAX_AGE_MS = 6 * 3_600_000;
/** Linux's USER_HZ (the unit of /proc/<pid>/stat's start time): 100 on every architecture we run. */
const TICKS_PER_SECOND = 100;

/**
 * Whether an owner id may still be running. Dead when that is certain: the machine was rebooted
 * since (another boot id), or the process, in OUR pid namespace, is gone or is another process
 * now (another start time). An owner in another pid namespace cannot be seen: it counts as alive
 * until it is `foreignMaxAgeMs` old (then it is certainly over), or forever when its start time is
 * unknown.
 */
export function ownerAlive(owner: string, foreignMaxAgeMs = FOREIGN_OWNER_MAX_AGE_MS): boolean {
  const m = OWNER_RE.exec(owner);
  if (m === null) return false; // not written by us (or truncated): nobody to wait for
  const [, boot, ns, pid, start] = m;
  if (boot !== bootId()) return false;
  if (ns !== pidNamespace()) {
    const age = ageMs(start ?? 'x');
    return age === undefined || age < foreignMaxAgeMs;
  }
  const now = startTime(Number(pid));
  return now !== undefined && (start === 'x' || now === start);
}

/** How long ago a process started `start` ticks after boot; undefined when unknown. */
function ageMs(start: string): number | undefined {
  if (!/^\d+$/.test(start)) return undefined;
  try {
    const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(uptimeS) ? uptimeS * 1000 - (Number(start) * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '').slice(0, 12);
  } catch {
    return 'x';
  }
}

function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 'x';
  } catch {
    return 'x';
  }
}

/** Field 22 of /proc/<pid>/stat (clock ticks after boot); undefined when the process does not exist. */
function startTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The holder touches its lock directory this often (its mtime: the holder's heartbeat)... */
export const LOCK_HEARTBEAT_MS = 30_000;
/** ...and a lock untouched for this long is stale, whoever its owner says it is (a holder in another pid namespace, a frozen one). */
export const LOCK_STALE_MS = 120_000;

/** A lock directory's identity: inode and mtime (an inode number alone may be reused at once). */
interface LockId {
  ino: number;
  mtimeMs: number;
}

/** The locks this process holds, by directory: the inode (a lock taken over since is not ours any more). */
const held = new Map<string, number>();

/**
 * Runs `fn` holding an exclusive lock (a directory under LOCK_DIR), so two processes (two test
 * runs, two checkouts, a test and a compose run) do not build the same images at once.
 *
 * The lock directory appears with its `owner` file already in it (made aside, then renamed into
 * place: a rename onto an existing, non-empty directory fails, so only one process gets it). The
 * holder touches it every LOCK_HEARTBEAT_MS. It is stale when untouched for LOCK_STALE_MS or when
 * its owner is certainly dead (ownerAlive); a stale lock is taken over by renaming it aside
 * (atomic: of two waiters only one succeeds, the other retries), then deleted.
 */
export async function withLock<T>(name: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(LOCK_DIR, `${name}.lock`);
  mkdirSync(LOCK_DIR, { recursive: true });
  const end = Date.now() + timeoutMs;
  let ino: number;
  for (;;) {
    const got = tryLock(dir);
    if (got !== undefined) {
      ino = got;
      break;
    }
    const seen = lockState(dir);
    if (seen !== undefined && seen.stale) {
      takeOver(dir, seen);
      continue;
    }
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for the lock ${dir} (held by ${lockHolder(dir) ?? 'nobody yet'}; remove it if no build runs)`);
    await new Promise((r) => setTimeout(r, 500));
  }
  held.set(dir, ino);
  const beat = setInterval(() => {
    if (sameLock(dir, ino)) touch(dir);
  }, LOCK_HEARTBEAT_MS);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    releaseLock(dir);
  }
}

/**
 * Removes the locks this process holds, at once (synchronous: for a process that is about to end
 * without its `finally` blocks running, e.g. on a signal). A lock taken over since is left alone.
 */
export function releaseHeldLocks(): void {
  for (const dir of [...held.keys()]) releaseLock(dir);
}

function releaseLock(dir: string): void {
  const ino = held.get(dir);
  held.delete(dir);
  if (ino !== undefined && sameLock(dir, ino)) rmSync(dir, { recursive: true, force: true });
}

/** Creates the lock with its owner file in one step; its inode, or undefined when it exists. */
function tryLock(dir: string): number | undefined {
  const fresh = `${dir}.new-${randomBytes(6).toString('hex')}`;
  mkdirSync(fresh);
  try {
    writeFileSync(path.join(fresh, 'owner'), ownerId());
    renameSync(fresh, dir);
    return statSync(dir).ino;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return undefined;
    throw e;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

/**
 * Takes a stale lock out of the way: renames it aside (only one of several waiters succeeds; the
 * others get ENOENT and retry), then deletes it. Should the renamed directory be another one than
 * the lock judged stale (a waiter took it over and made a fresh lock between our look and our
 * rename), it is put back.
 */
function takeOver(dir: string, stale: LockId): void {
  const aside = `${dir}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(dir, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // another waiter was first
    throw e;
  }
  if (identity(aside)?.ino === stale.ino && identity(aside)?.mtimeMs === stale.mtimeMs) {
    rmSync(aside, { recursive: true, force: true });
    return;
  }
  try {
    renameSync(aside, dir);
  } catch {
    // The lock was made again meanwhile: the one we moved is its former holder's; nothing to restore to.
    rmSync(aside, { recursive: true, force: true });
  }
}

function identity(dir: string): LockId | undefined {
  try {
    const st = statSync(dir);
    return { ino: st.ino, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameLock(dir: string, ino: number): boolean {
  return identity(dir)?.ino === ino;
}

function touch(dir: string): void {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // gone: released or taken over
  }
}

function lockHolder(dir: string): string | undefined {
  try {
    return readFileSync(path.join(dir, 'owner'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The lock's identity and whether it is stale; undefined when there is no lock. */
function lockState(dir: string): (LockId & { stale: boolean }) | undefined {
  const id = identity(dir);
  if (id === undefined) return undefined;
  const age = Date.now() - id.mtimeMs;
  if (age > LOCK_STALE_MS) return { ...id, stale: true };
  const legacyPid = readPidFile(dir); // a lock of an older checkout: a bare pid
  if (legacyPid !== undefined) return { ...id, stale: !pidRuns(legacyPid) };
  const owner = lockHolder(dir);
  // No owner: an older checkout's holder between mkdir and write, unless the lock is old.
  if (owner === undefined || owner === '') return { ...id, stale: age > 10_000 };
  return { ...id, stale: !ownerAlive(owner) };
}
function readPidFile(dir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

function pidRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
