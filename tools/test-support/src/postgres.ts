import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { trackChild, TrackedChild, waitUntil } from './child-process';
import { freePort } from './ports';

/**
 * A private, real PostgreSQL server for tests (the broker's PostgreSQL back end): `initdb` into
 * a fresh temp dir, then `postgres` as a child process listening on 127.0.0.1 only, on a free
 * port, with its unix socket in the temp dir (never in /var/run/postgresql). Durability is
 * traded for speed (fsync, synchronous_commit and full_page_writes off): the data dir is
 * thrown away anyway.
 *
 * Authentication: the superuser `tsp` with a random password (SCRAM-SHA-256) over TCP, trust on
 * the private unix socket only. The password is in `connectionString`: never print it.
 *
 * PostgreSQL refuses to run as root: when the test runs as root, initdb and postgres run as the
 * `postgres` system user (created by the Debian package) through `runuser -u postgres --`, with
 * the temp dir chowned to it. `stop()` signals the postmaster by its pid (from postmaster.pid):
 * SIGINT (fast shutdown), SIGKILL when it has not exited in time; then removes the temp dir.
 *
 * Preconditions: the Debian package `postgresql` (binaries in /usr/lib/postgresql/<v>/bin;
 * TSP_POSTGRES_BIN overrides the directory), and when root, `runuser` and a `postgres` user.
 */
export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** postgres://tsp:<password>@127.0.0.1:<port>/postgres (holds the password: never log it). */
  readonly connectionString: string;
  /** Creates a new, empty database and returns its connection string. */
  createDatabase(name?: string): Promise<string>;
  /** The server's own log so far (for diagnostics; it holds no password). */
  log(): string;
  /** Fast shutdown by pid (SIGINT, then SIGKILL), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** How long start-up may take before it fails (default 30 s). */
  startTimeoutMs?: number;
}

const USER = 'tsp';
const SYSTEM_USER = 'postgres';

/** The directory holding initdb and postgres: TSP_POSTGRES_BIN, or the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(): string {
  const override = process.env['TSP_POSTGRES_BIN'];
  const candidates: string[] = override !== undefined && override !== '' ? [override] : [];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(root, v, 'bin')));
  }
  for (const dir of candidates) if (existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb'))) return dir;
  throw new Error(
    'PostgreSQL is not installed: the broker store tests need a real server (the Debian package `postgresql`: apt-get install postgresql; ' +
      'the test command installs it, see tools/test/system-packages.mjs)',
  );
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** uid and gid of the `postgres` system user (when running as root). */
function systemUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${SYSTEM_USER}:`));
  if (line === undefined) throw new Error('running as root, but there is no `postgres` system user to run PostgreSQL as (install the Debian package `postgresql`)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** argv of `binary args...`, run as the postgres user when root. */
function asServerUser(binary: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', SYSTEM_USER, '--', binary, ...args]] : [binary, args];
}

function chownTree(p: string, owner: { uid: number; gid: number }): void {
  chownSync(p, owner.uid, owner.gid);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) chownTree(path.join(p, e), owner);
}

/** Whether a process with this pid exists (signal 0; EPERM also means it exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The postmaster's pid, from the first line of postmaster.pid (undefined before it is written). */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function canQuery(connectionString: string): Promise<boolean> {
  const c = new Client({ connectionString, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Starts a private PostgreSQL (see PostgresServer); resolves when it answers queries. */
export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const owner = isRoot() ? systemUser() : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp-postgres-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const password = randomBytes(18).toString('base64url');
  const pwFile = path.join(dir, 'pwfile');
  let child: ChildProcess | undefined;
  let tracked: TrackedChild | undefined;
  let pid: number | undefined;
  let killOnExit: (() => void) | undefined;
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  const signal = (p: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(p, sig);
    } catch {
      // exited in the meantime
    }
  };

  const stop = async (): Promise<void> => {
    const p = pid ?? postmasterPid(dataDir);
    pid = undefined;
    if (killOnExit !== undefined) process.removeListener('exit', killOnExit);
    if (p !== undefined && alive(p)) {
      signal(p, 'SIGINT');
      const gone = await waitUntil(() => !alive(p), 10000, 'postgres fast shutdown').then(
        () => true,
        () => false,
      );
      if (!gone && alive(p)) {
        signal(p, 'SIGKILL');
        await waitUntil(() => !alive(p), 5000, 'postgres to be killed').catch(() => undefined);
      }
    }
    // runuser (when root) exits after the postmaster; do not leave it behind either.
    if (tracked !== undefined && !tracked.hasExited()) {
      const killer = setTimeout(() => child?.kill('SIGKILL'), 3000);
      await tracked.exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner !== undefined) chownTree(dir, owner);
    const [initCmd, initArgs] = asServerUser(path.join(bin, 'initdb'), [
      '-D', dataDir, '-U', USER, `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-locale', '--no-sync',
    ]);
    try {
      execFileSync(initCmd, initArgs, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed: ${e.stderr?.toString('utf8') ?? e.message}`);
    }
    rmSync(pwFile, { force: true });

    const port = await freePort();
    const logFd = openSync(logFile, 'a');
    if (owner !== undefined) chownSync(logFile, owner.uid, owner.gid);
    const [cmd, args] = asServerUser(path.join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'max_connections=100', '-c', 'shared_buffers=16MB',
    ]);
    try {
      child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    tracked = trackChild(child);
    child.once('error', () => undefined);
    // A test process that ends without stop() must not leave the server behind (immediate shutdown).
    killOnExit = (): void => {
      const p = postmasterPid(dataDir);
      if (p !== undefined) signal(p, 'SIGQUIT');
    };
    process.once('exit', killOnExit);

    const connectionString = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const t = tracked;
    await waitUntil(async () => {
      if (t.hasExited()) throw new Error(`postgres exited during startup: ${readLog()}`);
      return canQuery(connectionString);
    }, opts.startTimeoutMs ?? 30000, 'postgres to accept queries');
    pid = postmasterPid(dataDir);

    let databases = 0;
    const withDatabase = (name: string): string => {
      const u = new URL(connectionString);
      u.pathname = `/${name}`;
      return u.href;
    };
    return {
      host: '127.0.0.1',
      port,
      user: USER,
      connectionString,
      async createDatabase(name = `test_${++databases}_${randomBytes(4).toString('hex')}`) {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error('a test database name must be a plain lower-case identifier');
        const c = new Client({ connectionString });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE "${name}"`);
        } finally {
          await c.end();
        }
        return withDatabase(name);
      },
      log: readLog,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
