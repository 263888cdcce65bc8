import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** Runs a command to its end (bounded); never throws for a non-zero exit: see `code`. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const logFd = opts.logFile === undefined ? undefined : openAppend(opts.logFile);
    const child = spawn(cmd, [...args], { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', logFd ?? 'pipe', logFd ?? 'pipe'] });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    let closed = false;
    const done = (): void => {
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
 * Whether an owner id may still be running. Dead only when that is certain: the machine was
 * rebooted since (another boot id), or the process, in OUR pid namespace, is gone or is another
 * process now (another start time). An owner in another pid namespace counts as alive: we cannot
 * see it, so its containers, images and locks are left alone.
 */
export function ownerAlive(owner: string): boolean {
  const m = OWNER_RE.exec(owner);
  if (m === null) return false; // not written by us (or truncated): nobody to wait for
  const [, boot, ns, pid, start] = m;
  if (boot !== bootId()) return false;
  if (ns !== pidNamespace()) return true;
  const now = startTime(Number(pid));
  return now !== undefined && (start === 'x' || now === start);
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

/**
 * Runs `fn` holding an exclusive lock (a directory under LOCK_DIR), so two processes (two test
 * runs, two checkouts, a test and a compose run) do not build the same images at once. The lock
 * records its holder's owner id; a lock whose holder is certainly dead (ownerAlive) is taken over.
 */
export async function withLock<T>(name: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(LOCK_DIR, `${name}.lock`);
  mkdirSync(LOCK_DIR, { recursive: true });
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'owner'), ownerId());
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockHolderDead(dir)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for the lock ${dir} (held by ${lockHolder(dir)}; remove it if no build runs)`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lockHolder(dir: string): string | undefined {
  try {
    return readFileSync(path.join(dir, 'owner'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function lockHolderDead(dir: string): boolean {
  const owner = lockHolder(dir);
  const legacyPid = readPidFile(dir); // a lock of an older checkout: a bare pid
  if (legacyPid !== undefined) return !pidRuns(legacyPid);
  if (owner === undefined || owner === '') {
    // No owner yet: a holder between mkdir and write, unless the lock is old.
    try {
      return Date.now() - statSync(dir).mtimeMs > 10_000;
    } catch {
      return true;
    }
  }
  return !ownerAlive(owner);
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
