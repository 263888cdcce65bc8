import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTAINERS_VAR_DIR, podman, podmanOk, runCommand, withLock } from './podman';

/**
 * Node base images built here without a registry (issue 6's recipe): a Debian bookworm minbase
 * from mmdebstrap plus THIS host's Node (binary, npm, headers), imported as local images.
 * They stand in for node:20-bookworm (builder: python3, make, g++, npm, headers under /usr/local
 * as in the official images) and node:20-bookworm-slim (runtime: node only).
 */
export interface LocalBases {
  /** BUILD_IMAGE build argument, e.g. localhost/tsp-node-build:20 */
  build: string;
  /** BASE_IMAGE build argument, e.g. localhost/tsp-node-base:20 */
  base: string;
}

const HOST_NODE = '/usr/bin/node';
const HOST_NPM = '/usr/lib/node_modules/npm';
const HOST_HEADERS = '/usr/include/node';
/** On the bases, so on every image and intermediate layer built from them: how images.ts finds this repo's images. */
export const VERSION_LABEL = 'io.tsp.node-version';
const DEBIAN = 'http://deb.debian.org/debian';
/** Sources given explicitly: mmdebstrap would otherwise read them from a non-terminal stdin. */
const SOURCES = [`deb ${DEBIAN} bookworm main`, `deb ${DEBIAN} bookworm-updates main`, 'deb http://deb.debian.org/debian-security bookworm-security main'];
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function hostNodeVersion(): string {
  if (!existsSync(HOST_NODE)) throw new Error(`${HOST_NODE} not found: the local base images copy the host's Node binary`);
  const r = spawnSync(HOST_NODE, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${HOST_NODE} --version failed`);
  return r.stdout.trim();
}

/** Image references for the host's Node (tag: its major version). */
export function localBaseNames(version = hostNodeVersion()): LocalBases {
  const major = version.replace(/^v/, '').split('.')[0] ?? 'node';
  return { build: `localhost/tsp-node-build:${major}`, base: `localhost/tsp-node-base:${major}` };
}

async function labelOf(ref: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', `{{index .Labels "${VERSION_LABEL}"}}`, ref]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Builds the two bases when missing (or made from another Node version) and returns their
 * names; reuses them otherwise. mmdebstrap's output goes to `logFile`. Needs root, mmdebstrap
 * and Debian's mirror (reaches deb.debian.org, by design); takes a minute or two the first time.
 */
export async function ensureLocalBases(logFile = path.join(CONTAINERS_VAR_DIR, 'bases.log')): Promise<LocalBases> {
  const version = hostNodeVersion();
  const names = localBaseNames(version);
  return withLock('local-bases', 15 * 60_000, async () => {
    if ((await labelOf(names.build)) !== version) await buildBase(names.build, version, true, logFile);
    if ((await labelOf(names.base)) !== version) await buildBase(names.base, version, false, logFile);
    return names;
  });
}

async function buildBase(ref: string, version: string, builder: boolean, logFile: string): Promise<void> {
  if (spawnSync('mmdebstrap', ['--version']).status !== 0) throw new Error('mmdebstrap is not installed (Debian package mmdebstrap): it builds the local base images');
  for (const p of builder ? [HOST_NPM, HOST_HEADERS] : []) if (!existsSync(p)) throw new Error(`${p} not found: the builder base copies the host's npm and Node headers`);
  const work = mkdtempSync(path.join(tmpdir(), 'tsp-base-'));
  const tar = path.join(work, 'rootfs.tar');
  // $1 is the new root in mmdebstrap's hooks. Node goes where the official images keep it.
  const copyNode = [
    'set -e',
    'mkdir -p "$1/usr/local/bin"',
    `cp ${HOST_NODE} "$1/usr/local/bin/node"`,
    ...(builder
      ? [
          'mkdir -p "$1/usr/local/lib/node_modules" "$1/usr/local/include"',
          `cp -a ${HOST_NPM} "$1/usr/local/lib/node_modules/npm"`,
          'ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
          'ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
          `cp -a ${HOST_HEADERS} "$1/usr/local/include/node"`,
        ]
      : []),
  ].join('\n');
  try {
    const include = builder ? 'ca-certificates,python3,make,g++' : 'ca-certificates';
    const r = await runCommand('mmdebstrap', ['--variant=minbase', `--include=${include}`, `--customize-hook=${copyNode}`, 'bookworm', tar, ...SOURCES], {
      logFile,
      timeoutMs: 10 * 60_000,
    });
    if (r.code !== 0) throw new Error(`mmdebstrap failed for ${ref} (exit ${String(r.code)}); see ${logFile}`);
    await podmanOk(
      ['import', '--change', `ENV ${PATH_ENV}`, '--change', 'CMD ["node"]', '--change', `LABEL ${VERSION_LABEL}=${version}`, '--message', `tools/containers local base (${builder ? 'builder' : 'runtime'})`, tar, ref],
      { timeoutMs: 5 * 60_000 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
