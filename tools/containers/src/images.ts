import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureLocalBases, LocalBases, VERSION_LABEL } from './local-bases';
import { CONTAINERS_VAR_DIR, ownerAlive, ownerId, podman, REPO_ROOT, requirePodman, withLock } from './podman';

/** The three apps with an image; docker/<app>.Dockerfile builds tsp-<app>. */
export const IMAGE_APPS = ['proxy', 'logdriver', 'config-broker'] as const;
export type ImageApp = (typeof IMAGE_APPS)[number];

/** `localhost/tsp-<app>:<tag>` (the last build is also tagged `test`). */
export function imageRef(app: ImageApp, tag = 'test'): string {
  return `localhost/tsp-${app}:${tag}`;
}

/** The tag naming one run's images: `run-<owner id>` (podman.ts ownerId: a valid tag). */
export function runTag(owner: string): string {
  return `run-${owner}`;
}

const RUN_TAG_RE = /^localhost\/tsp-(?:proxy|logdriver|config-broker):run-(.+)$/;

export function dockerfileOf(app: ImageApp): string {
  return path.join(REPO_ROOT, 'docker', `${app}.Dockerfile`);
}

/** The host's CA bundle: mounted read-only into every build step so npm trusts the egress proxy. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface BuildImagesOptions {
  /** Also tagged: default `test` (the last build, for people and compose; tests never run it). */
  tag?: string;
  /** Default: all three. */
  apps?: readonly ImageApp[];
  /** Build progress goes here (appended), never to the test output. Default var/containers/build.log. */
  logFile?: string;
  /** Default: the local bases (built when missing). */
  bases?: LocalBases;
  /** Whose run the images are (podman.ts ownerId); default this process. Names the run tag. */
  owner?: string;
}

export interface BuiltImages {
  /** What to run: this run's own tag of each image (`localhost/tsp-<app>:run-<owner>`). */
  refs: Record<ImageApp, string>;
  /** The image ID each ref named right after the build. */
  ids: Record<ImageApp, string>;
  bases: LocalBases;
  logFile: string;
}

/**
 * Builds the images from the local bases, with no registry image: `--pull=never` (a missing base
 * fails at once), `--network=host` (npm ci reaches the npm registry, by design; nothing else runs),
 * `--format docker` (keeps HEALTHCHECK), the layer cache on (the identical builder stages build
 * once; a rebuild with unchanged sources takes seconds). Throws with the end of the build log
 * when one fails.
 *
 * Concurrent runs (two test runs, two checkouts: podman's store is shared) never swap each other's
 * images: builds are serialized by a machine-wide lock, and each image gets, in the same `podman
 * build`, its run's own tag (runTag(owner)), which the caller runs and releases (releaseImages).
 * A tagged image is never pruned. Inside the lock, before building, run tags of dead owners are
 * removed; after a successful build, this repo's untagged images (label io.tsp.node-version) that
 * the build did not use (stale layer cache, images the `test` tag named before) are removed (LOW:
 * the cache would grow by hundreds of MB per source change).
 */
export async function buildImages(opts: BuildImagesOptions = {}): Promise<BuiltImages> {
  requirePodman();
  const logFile = opts.logFile ?? path.join(CONTAINERS_VAR_DIR, 'build.log');
  const bases = opts.bases ?? (await ensureLocalBases(path.join(path.dirname(logFile), 'bases.log')));
  const tag = opts.tag ?? 'test';
  const owner = opts.owner ?? ownerId();
  const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const apps = opts.apps ?? IMAGE_APPS;
  const refs = Object.fromEntries(IMAGE_APPS.map((a) => [a, imageRef(a, runTag(owner))])) as Record<ImageApp, string>;
  const ids = {} as Record<ImageApp, string>;
  await withLock('image-build', 30 * 60_000, async () => {
    mkdirSync(path.dirname(logFile), { recursive: true });
    writeFileSync(logFile, ''); // this build's log only (removeUnused reads the layers it used)
    await removeDeadRunTags();
    for (const app of apps) {
      const args = [
        'build',
        '--pull=never',
        '--network=host',
        '--format',
        'docker',
        '--layers',
        '-f',
        dockerfileOf(app),
        '-t',
        imageRef(app, tag),
        '-t',
        refs[app],
        '--build-arg',
        `BUILD_IMAGE=${bases.build}`,
        '--build-arg',
        `BASE_IMAGE=${bases.base}`,
        '--build-arg',
        `VERSION=${version}`,
        ...(existsSync(HOST_CA_BUNDLE) ? ['-v', `${HOST_CA_BUNDLE}:${HOST_CA_BUNDLE}:ro`] : []),
        REPO_ROOT,
      ];
      const started = Date.now();
      const r = await podman(args, { logFile, timeoutMs: 20 * 60_000 });
      if (r.code !== 0) throw new Error(`building ${refs[app]} failed (exit ${String(r.code)} after ${Math.round((Date.now() - started) / 1000)} s):\n${tail(logFile, 40)}\n(full log: ${logFile})`);
      const id = await imageId(refs[app]);
      if (id === undefined) throw new Error(`${refs[app]} does not exist right after its build (full log: ${logFile})`);
      ids[app] = id;
    }
    const removed = await removeUnused(readFileSync(logFile, 'utf8'));
    writeFileSync(logFile, `\n[tools/containers] removed ${removed} unused untagged image(s) of this repo\n`, { flag: 'a' });
  });
  return { refs, ids, bases, logFile };
}

/** Removes this run's tags (the images stay while another tag or a container names them). */
export async function releaseImages(built: Pick<BuiltImages, 'refs'>): Promise<void> {
  for (const ref of Object.values(built.refs)) if (RUN_TAG_RE.test(ref)) await podman(['untag', ref, ref], { timeoutMs: 60_000 });
}

/**
 * The environment variable through which tools/test/run-tests.mjs hands the images it built
 * before the container pass (JSON of BuiltImages, see prebuild-images.ts) to the suites.
 */
export const PREBUILT_IMAGES_ENV = 'TSP_CONTAINER_IMAGES';

export interface TestImages extends BuiltImages {
  /** Releases the images if this suite built them (afterAll); the pre-build's owner releases its own. */
  release(): Promise<void>;
}

/**
 * The images a container suite runs. Under `npm test` they were built once before the container
 * pass (PREBUILT_IMAGES_ENV): only checked here, each must still exist with the ID of its build.
 * Otherwise (a suite run alone with jest) they are built now, as this process's run.
 */
export async function testImages(): Promise<TestImages> {
  requirePodman();
  const handed = process.env[PREBUILT_IMAGES_ENV];
  if (handed === undefined || handed === '') {
    const built = await buildImages();
    return { ...built, release: () => releaseImages(built) };
  }
  const built = JSON.parse(handed) as BuiltImages;
  for (const app of IMAGE_APPS) {
    const id = await imageId(built.refs[app]);
    if (id !== built.ids[app]) throw new Error(`the pre-built image ${built.refs[app]} ${id === undefined ? 'is missing' : `is ${id}, not the pre-build's ${built.ids[app]}`} (removed or retagged outside the test run?)`);
  }
  return { ...built, release: () => Promise.resolve() };
}

async function imageId(ref: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Id}}', ref]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

interface ListedImage {
  Id: string;
  Names?: string[] | null;
  Containers?: number;
}

/** Every image (intermediate layers included) built on the local bases. */
async function ourImages(): Promise<ListedImage[]> {
  const r = await podman(['images', '-a', '--filter', `label=${VERSION_LABEL}`, '--format', 'json'], { timeoutMs: 120_000 });
  if (r.code !== 0) return [];
  return JSON.parse(r.stdout === '' ? '[]' : r.stdout) as ListedImage[];
}

/** Untags the run tags whose owner certainly died (a killed run never released them). */
async function removeDeadRunTags(): Promise<void> {
  for (const image of await ourImages()) {
    for (const name of image.Names ?? []) {
      const owner = RUN_TAG_RE.exec(name)?.[1];
      if (owner !== undefined && !ownerAlive(owner)) await podman(['untag', image.Id, name], { timeoutMs: 60_000 });
    }
  }
}

/**
 * Removes this repo's untagged images that the build whose log is `log` did not use: its layers
 * appear there as `--> Using cache <id>` or `--> <id>`; everything else untagged is a stale cache
 * layer or an image a tag named before. `podman rmi` without force: an image a container uses,
 * or with children, stays. Repeated, since removing a child frees its parent. Returns how many.
 */
async function removeUnused(log: string): Promise<number> {
  const used = [...log.matchAll(/^--> (?:Using cache )?([0-9a-f]{11,64})\s*$/gm), ...log.matchAll(/^([0-9a-f]{64})\s*$/gm)].map((m) => m[1] ?? '');
  const isUsed = (id: string): boolean => used.some((u) => u !== '' && id.startsWith(u));
  let removed = 0;
  for (let round = 0; round < 30; round++) {
    const stale = (await ourImages()).filter((i) => (i.Names ?? []).length === 0 && (i.Containers ?? 0) === 0 && !isUsed(i.Id));
    let progress = 0;
    for (const i of stale) if ((await podman(['rmi', i.Id], { timeoutMs: 60_000 })).code === 0) progress++;
    removed += progress;
    if (progress === 0) break;
  }
  return removed;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no build log)';
  }
}
