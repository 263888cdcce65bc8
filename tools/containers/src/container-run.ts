import { podman, podmanOk, removeContainers, removeVolumes } from './podman';

/** Label on every container and volume a test makes: the pid of the process that made it. */
export const OWNER_LABEL = 'io.tsp.owner-pid';

/**
 * Containers as the tests (and W3's compose checks) run them: always `--network=host` (every
 * packet stays on 127.0.0.1; no bridge, no network created), read-only root with NO tmpfs
 * (what Kubernetes' readOnlyRootFilesystem gives: nothing may write outside the volumes), the
 * image's own user (10001). Detached; removed by name by the caller (removeContainers).
 */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Non-secret settings (-e). Secrets go in `envFile`, so they never appear on a command line. */
  env?: Record<string, string>;
  /** A host file of KEY=VALUE lines (--env-file), e.g. keys and tokens of a test broker. */
  envFile?: string;
  /** `-v` specs: `<named volume or host path>:<container path>[:ro]`. */
  volumes?: readonly string[];
  entrypoint?: string;
  args?: readonly string[];
  /** Default true: `--read-only --read-only-tmpfs=false`. */
  readOnly?: boolean;
}

export function runArgs(spec: ContainerSpec, detach = true): string[] {
  const args = ['run', ...(detach ? ['-d'] : ['--rm']), '--name', spec.name, '--network=host', '--pull=never', '--label', `${OWNER_LABEL}=${process.pid}`];
  if (spec.readOnly !== false) args.push('--read-only', '--read-only-tmpfs=false');
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('-e', `${k}=${v}`);
  if (spec.envFile !== undefined) args.push('--env-file', spec.envFile);
  for (const v of spec.volumes ?? []) args.push('-v', v);
  if (spec.entrypoint !== undefined) args.push('--entrypoint', spec.entrypoint);
  args.push(spec.image, ...(spec.args ?? []));
  return args;
}

/** Starts a detached container; returns its id. */
export async function startContainer(spec: ContainerSpec): Promise<string> {
  return podmanOk(runArgs(spec), { timeoutMs: 60_000 });
}

/** Runs a container to its end (`--rm`) and returns its exit code and output. */
export async function runToEnd(spec: ContainerSpec, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return podman(runArgs(spec, false), { timeoutMs });
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
  status: string;
}

export async function containerState(name: string): Promise<ContainerState | undefined> {
  const r = await podman(['inspect', '--type', 'container', '--format', '{{json .State}}', name]);
  if (r.code !== 0) return undefined;
  const s = JSON.parse(r.stdout) as { Running: boolean; ExitCode: number; Status: string };
  return { running: s.Running, exitCode: s.ExitCode, status: s.Status };
}

/** The last lines of a container's output (its JSON logs: the apps never log secrets). */
export async function containerLogs(name: string, lines = 30): Promise<string> {
  const r = await podman(['logs', '--tail', String(lines), name]);
  return `${r.stdout}${r.stderr}`.trim();
}

/**
 * Waits until `url` answers 200 (fetched from the host over loopback); fails at once when the
 * container stopped, and with its last log lines on a timeout.
 */
export async function waitForHttp(name: string, url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    const state = await containerState(name);
    if (state === undefined || !state.running) throw new Error(`container ${name} is not running (${state?.status ?? 'missing'}, exit ${String(state?.exitCode)}):\n${await containerLogs(name)}`);
    if (Date.now() > end) throw new Error(`container ${name}: ${url} did not answer 200 within ${timeoutMs} ms:\n${await containerLogs(name)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The mount point on the host of a named volume (root can read what the container wrote). */
export async function volumeMountpoint(volume: string): Promise<string> {
  return podmanOk(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume]);
}

/** Creates a named volume labelled with this process as its owner. */
export async function createVolume(name: string): Promise<void> {
  await podmanOk(['volume', 'create', '--label', `${OWNER_LABEL}=${process.pid}`, name]);
}

/**
 * Removes containers and volumes left by a test process that died before its cleanup (their
 * owner pid no longer runs); those of live processes (a concurrent run) are left alone.
 */
export async function removeOrphans(): Promise<void> {
  const dead = (pid: string): boolean => {
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch {
      return true;
    }
  };
  const list = async (args: string[]): Promise<string[]> =>
    (await podman(args)).stdout
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter(([name, pid]) => name !== undefined && name !== '' && pid !== undefined && /^\d+$/.test(pid) && dead(pid))
      .map(([name]) => name ?? '');
  await removeContainers(await list(['ps', '-a', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.Names}} {{index .Labels "${OWNER_LABEL}"}}`]));
  await removeVolumes(await list(['volume', 'ls', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.Name}} {{index .Labels "${OWNER_LABEL}"}}`]));
}
