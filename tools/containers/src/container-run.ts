import { readFileSync } from 'node:fs';
import { IMAGE_APPS, ImageApp } from './images';
import { ownerAlive, ownerId, podman, podmanOk, removeContainers, removeVolumes } from './podman';

/** Label on every container and volume a test makes: the owner id (podman.ts) of the process that made it. */
export const OWNER_LABEL = 'io.tsp.owner';

/**
 * Each app's bind address variable. The images set it to 0.0.0.0 (in a container the network
 * namespace is the boundary); on the host network that would open the app to the machine's
 * network, so runArgs sets it to 127.0.0.1.
 */
export const BIND_HOST_ENV: Readonly<Record<ImageApp, string>> = { proxy: 'TSP_HOST', logdriver: 'TSP_LOGDRIVER_HOST', 'config-broker': 'TSP_BROKER_HOST' };

/** The app of one of our image references (`…/tsp-<app>:<tag>`), or undefined. */
export function appOfRef(image: string): ImageApp | undefined {
  const name = (image.split('@')[0] ?? '').split('/').pop()?.split(':')[0];
  return IMAGE_APPS.find((a) => name === `tsp-${a}`);
}

/**
 * Containers as the tests (and W3's compose checks) run them: always `--network=host` (every
 * packet stays on 127.0.0.1; no bridge, no network created), read-only root with NO tmpfs
 * (what Kubernetes' readOnlyRootFilesystem gives: nothing may write outside the volumes), the
 * image's own user (10001), its bind address 127.0.0.1 (BIND_HOST_ENV: never the images' 0.0.0.0
 * on the host network). Detached; removed by name by the caller (removeContainers).
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
  /** Replaces the image's entrypoint: a command, or compose's array form (`["node", "-e", "…"]`). */
  entrypoint?: string | readonly string[];
  args?: readonly string[];
  /** Default true: `--read-only --read-only-tmpfs=false`. */
  readOnly?: boolean;
}

/**
 * The `podman run` arguments of a spec. Throws for an image that is not one of ours (its bind
 * variable is unknown) and for a bind address other than 127.0.0.1 in `env`.
 */
export function runArgs(spec: ContainerSpec, detach = true): string[] {
  const app = appOfRef(spec.image);
  if (app === undefined) throw new Error(`runArgs: ${spec.image} is not one of the tsp-{${IMAGE_APPS.join(',')}} images: its bind address cannot be pinned to 127.0.0.1`);
  const bind = BIND_HOST_ENV[app];
  const given = spec.env?.[bind];
  if (given !== undefined && given !== '127.0.0.1') throw new Error(`runArgs: ${spec.name} sets ${bind}=${given}; on the host network only 127.0.0.1 is allowed`);
  const args = ['run', ...(detach ? ['-d'] : ['--rm']), '--name', spec.name, '--network=host', '--pull=never', '--label', `${OWNER_LABEL}=${ownerId()}`];
  if (spec.readOnly !== false) args.push('--read-only', '--read-only-tmpfs=false');
  for (const [k, v] of Object.entries({ ...spec.env, [bind]: '127.0.0.1' })) args.push('-e', `${k}=${v}`);
  if (spec.envFile !== undefined) args.push('--env-file', spec.envFile);
  for (const v of spec.volumes ?? []) args.push('-v', v);
  // The array form as podman takes it: a JSON array (the image's CMD is then dropped, as in compose).
  if (spec.entrypoint !== undefined) args.push('--entrypoint', typeof spec.entrypoint === 'string' ? spec.entrypoint : JSON.stringify(spec.entrypoint));
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
  await podmanOk(['volume', 'create', '--label', `${OWNER_LABEL}=${ownerId()}`, name]);
}

/**
 * Removes containers and volumes left by a test process that died before its cleanup (its owner
 * id is certainly dead: ownerAlive); those of live processes, or of processes in another pid
 * namespace (a concurrent run we cannot see) younger than FOREIGN_OWNER_MAX_AGE_MS, are left alone.
 */
export async function removeOrphans(): Promise<void> {
  const list = async (args: string[]): Promise<string[]> =>
    (await podman(args)).stdout
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter(([name, owner]) => name !== undefined && name !== '' && owner !== undefined && owner !== '' && !ownerAlive(owner))
      .map(([name]) => name ?? '');
  await removeContainers(await list(['ps', '-a', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.Names}} {{index .Labels "${OWNER_LABEL}"}}`]));
  await removeVolumes(await list(['volume', 'ls', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.Name}} {{index .Labels "${OWNER_LABEL}"}}`]));
}

/**
 * The local addresses of the TCP sockets listening on `port` in THIS network namespace (the
 * host's, which --network=host containers share), from /proc/net/tcp{,6}: e.g. ['127.0.0.1'],
 * or ['0.0.0.0'] / ['::'] for a server open to the machine's network.
 */
export function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      found.push(...parseListenAddresses(readFileSync(file, 'utf8'), port));
    } catch {
      // no IPv6 (or no /proc): nothing listens there
    }
  }
  return found;
}

/**
 * The local addresses of the sockets LISTENing on `port` in the text of /proc/net/tcp or
 * /proc/net/tcp6 (a header line, then `sl local_address rem_address st …`; an IPv4 address has 8
 * hex digits, an IPv6 one 32).
 */
export function parseListenAddresses(text: string, port: number): string[] {
  const found: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (local === undefined || state !== '0A') continue; // 0A: LISTEN
    const [addr, hexPort] = local.split(':');
    if (addr === undefined || !/^[0-9A-Fa-f]+$/.test(hexPort ?? '') || Number.parseInt(hexPort ?? '', 16) !== port) continue;
    if (addr.length === 8) found.push(ipv4(addr));
    else if (addr.length === 32) found.push(ipv6(addr));
  }
  return found;
}

/** /proc/net/tcp's little-endian hex address, as a dotted quad. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** /proc/net/tcp6's address (four little-endian 32-bit words): '::' for any, '::1', else the words in hex. */
function ipv6(hex: string): string {
  if (/^0+$/.test(hex)) return '::';
  if (/^0{16}FFFF0000/i.test(hex)) return `::ffff:${ipv4(hex.slice(24))}`; // an IPv4-mapped address
  if (hex === '00000000000000000000000001000000') return '::1';
  return hex;
}
