import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureLocalBases, LocalBases } from './local-bases';
import { CONTAINERS_VAR_DIR, podman, REPO_ROOT, requirePodman, withLock } from './podman';

/** The three apps with an image; docker/<app>.Dockerfile builds tsp-<app>. */
export const IMAGE_APPS = ['proxy', 'logdriver', 'config-broker'] as const;
export type ImageApp = (typeof IMAGE_APPS)[number];

/** `localhost/tsp-<app>:<tag>` (tests use the tag `test`). */
export function imageRef(app: ImageApp, tag = 'test'): string {
  return `localhost/tsp-${app}:${tag}`;
}

export function dockerfileOf(app: ImageApp): string {
  return path.join(REPO_ROOT, 'docker', `${app}.Dockerfile`);
}

/** The host's CA bundle: mounted read-only into every build step so npm trusts the egress proxy. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface BuildImagesOptions {
  /** Default: `test`. */
  tag?: string;
  /** Default: all three. */
  apps?: readonly ImageApp[];
  /** Build progress goes here (appended), never to the test output. Default var/containers/build.log. */
  logFile?: string;
  /** Default: the local bases (built when missing). */
  bases?: LocalBases;
}

export interface BuiltImages {
  refs: Record<ImageApp, string>;
  bases: LocalBases;
  logFile: string;
}

/**
 * Builds the images from the local bases, with no registry: `--pull=never` (a missing base fails
 * at once), `--network=host` (npm ci reaches the registry; nothing else runs), `--format docker`
 * (keeps HEALTHCHECK), the layer cache on (the identical builder stages build once; a rebuild
 * with unchanged sources takes seconds). Throws with the end of the build log when one fails.
 */
export async function buildImages(opts: BuildImagesOptions = {}): Promise<BuiltImages> {
  requirePodman();
  const logFile = opts.logFile ?? path.join(CONTAINERS_VAR_DIR, 'build.log');
  const bases = opts.bases ?? (await ensureLocalBases(path.join(path.dirname(logFile), 'bases.log')));
  const tag = opts.tag ?? 'test';
  const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const refs = Object.fromEntries(IMAGE_APPS.map((a) => [a, imageRef(a, tag)])) as Record<ImageApp, string>;
  await withLock('image-build', 30 * 60_000, async () => {
    mkdirSync(path.dirname(logFile), { recursive: true });
    writeFileSync(logFile, ''); // this build's log only
    for (const app of opts.apps ?? IMAGE_APPS) {
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
      const previous = await imageId(refs[app]);
      const r = await podman(args, { logFile, timeoutMs: 20 * 60_000 });
      if (r.code !== 0) throw new Error(`building ${refs[app]} failed (exit ${String(r.code)} after ${Math.round((Date.now() - started) / 1000)} s):\n${tail(logFile, 40)}\n(full log: ${logFile})`);
      // The image this tag named before is left untagged: remove it (kept while a container uses it).
      if (previous !== undefined && previous !== (await imageId(refs[app]))) await podman(['rmi', previous]);
    }
  });
  return { refs, bases, logFile };
}

async function imageId(ref: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Id}}', ref]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no build log)';
  }
}
