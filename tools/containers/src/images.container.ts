import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGE_APPS, ImageApp, podmanOk, removeContainers, REPO_ROOT, requirePodman, runToEnd, TestImages, testImages } from './index';

/**
 * The three images, built with podman from the local bases (no registry): their metadata is
 * what the deployment contract says (non-root 10001, entrypoint, STOPSIGNAL, HEALTHCHECK, volumes,
 * OCI labels), and each runs as 10001 on a read-only root with no tmpfs: the app cannot write to
 * its code or /tmp, only to its declared volume.
 *
 * Network: the image builds reach the npm registry (npm ci, --network=host) and the local bases'
 * mmdebstrap reaches deb.debian.org, by design; under `npm test` that happens once, in the
 * pre-build step before the container pass (testImages). The containers send nothing anywhere.
 */
jest.setTimeout(120_000);

interface ImageConfig {
  User: string;
  Entrypoint: string[];
  Env: string[];
  ExposedPorts?: Record<string, unknown>;
  Volumes?: Record<string, unknown>;
  Labels: Record<string, string>;
  StopSignal: string;
}

const EXPECTED: Record<ImageApp, { ports: string[]; volume?: string; env: string[]; probe: string }> = {
  proxy: { ports: ['7777/tcp', '9000/tcp'], env: ['TSP_HOST=0.0.0.0'], probe: '/ready' },
  logdriver: { ports: ['9001/tcp'], volume: '/var/lib/tsp/spool', env: ['TSP_LOGDRIVER_HOST=0.0.0.0', 'TSP_LOGDRIVER_SPOOL_DIR=/var/lib/tsp/spool'], probe: '/ready' },
  'config-broker': { ports: ['9500/tcp'], volume: '/var/lib/tsp/broker', env: ['TSP_BROKER_HOST=0.0.0.0', 'TSP_BROKER_DB=/var/lib/tsp/broker/broker.db'], probe: '/live' },
};

const run = `tsp-ctest-img-${randomBytes(3).toString('hex')}`;
let built: TestImages | undefined;

function images(): TestImages {
  if (built === undefined) throw new Error('the images were not prepared (see beforeAll)');
  return built;
}

beforeAll(async () => {
  requirePodman();
  built = await testImages();
}, 20 * 60_000);

afterAll(async () => {
  await removeContainers(IMAGE_APPS.map((a) => `${run}-${a}`));
  await built?.release();
});

test.each(IMAGE_APPS)('the %s image: user 10001, entrypoint, STOPSIGNAL, HEALTHCHECK, ports, volume and OCI labels', async (app) => {
  const [inspected] = JSON.parse(await podmanOk(['image', 'inspect', images().refs[app]])) as { Config: ImageConfig; Healthcheck?: { Test: string[] } }[];
  const config = inspected?.Config;
  expect(config?.User).toBe('10001:10001');
  expect(config?.Entrypoint).toEqual(['node', `/app/dist/apps/${app}/main.js`]);
  expect(config?.StopSignal).toBe('SIGTERM');
  expect(Object.keys(config?.ExposedPorts ?? {}).sort()).toEqual(EXPECTED[app].ports);
  for (const e of EXPECTED[app].env) expect(config?.Env).toContain(e);
  expect(Object.keys(config?.Volumes ?? {})).toEqual(EXPECTED[app].volume === undefined ? [] : [EXPECTED[app].volume]);
  // Kept only because the build used --format docker.
  const check = inspected?.Healthcheck?.Test ?? [];
  expect(check.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  expect(check[3]).toContain(EXPECTED[app].probe);
  const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  expect(config?.Labels).toMatchObject({
    'org.opencontainers.image.title': `tsp-${app}`,
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.version': version,
  });
  expect(config?.Labels['org.opencontainers.image.description']).toEqual(expect.any(String));
  expect(Object.keys(config?.Labels ?? {})).toContain('org.opencontainers.image.source');
});

/** Run inside each image: who it runs as, and which writes the read-only root refuses. */
const PROBE = `
const fs = require('fs');
const tryWrite = (f) => { try { fs.writeFileSync(f, 'x'); fs.unlinkSync(f); return 'ok'; } catch (e) { return e.code; } };
const volume = process.argv[1];
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(),
  app: tryWrite('/app/probe'), tmp: tryWrite('/tmp/probe'), root: tryWrite('/probe'),
  volume: volume === '' ? null : tryWrite(volume + '/probe'),
  sqlite: (() => { try { const D = require('/app/node_modules/better-sqlite3'); const db = new D(':memory:'); return db.prepare('select 41 + 1 as n').get().n; } catch (e) { return String(e.message); } })(),
}));`;

test.each(IMAGE_APPS)('the %s image runs as 10001:10001 on a read-only root (no tmpfs); only its volume is writable; the native SQLite binding loads', async (app) => {
  const volume = EXPECTED[app].volume ?? '';
  // --rm also removes the anonymous volume podman makes for the declared VOLUME.
  const r = await runToEnd({ name: `${run}-${app}`, image: images().refs[app], entrypoint: 'node', args: ['-e', PROBE, volume] });
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  expect(out).toEqual({ uid: 10001, gid: 10001, app: 'EROFS', tmp: 'EROFS', root: 'EROFS', volume: volume === '' ? null : 'ok', sqlite: 42 });
});

test('the broker image carries the admin CLI', async () => {
  const r = await runToEnd({ name: `${run}-config-broker`, image: images().refs['config-broker'], entrypoint: 'node', args: ['/app/dist/tools/admin-cli/main.js', 'help'] });
  expect(r.code).toBe(0);
  expect(`${r.stdout}${r.stderr}`).toContain('service-account');
});
