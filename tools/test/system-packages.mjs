// Debian packages the tests need, installed when missing (idempotent), so the README's test
// command passes on a fresh machine: rsyslogd (+ TLS) for the syslog sink, openssl for the
// https fakes, PostgreSQL for the broker store, Chromium for the admin page, podman & co. for the
// container images. Each package is checked by the file it provides; apt-get runs only when one is
// missing, `apt-get update` at most once.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const SYSTEM_PACKAGES = [
  { name: 'rsyslog', provides: '/usr/sbin/rsyslogd' },
  { name: 'rsyslog-gnutls', provides: '/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', alternatives: ['/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'] },
  { name: 'openssl', provides: '/usr/bin/openssl' },
  // The broker's PostgreSQL back end is tested against a real server started on loopback.
  { name: 'postgresql', provides: '/usr/lib/postgresql/15/bin/postgres', alternatives: ['/usr/lib/postgresql/16/bin/postgres', '/usr/lib/postgresql/17/bin/postgres'] },
  // The admin web page is tested in a real headless browser (playwright-core drives it).
  { name: 'chromium', provides: '/usr/bin/chromium' },
  // The container images are built and run with podman, from local bases made by mmdebstrap
  // (tools/containers). The compose file's stack test runs its services with podman run.
  { name: 'podman', provides: '/usr/bin/podman' },
  { name: 'buildah', provides: '/usr/bin/buildah' },
  { name: 'skopeo', provides: '/usr/bin/skopeo' },
  { name: 'umoci', provides: '/usr/bin/umoci' },
  { name: 'runc', provides: '/usr/sbin/runc', alternatives: ['/usr/bin/runc'] },
  { name: 'catatonit', provides: '/usr/libexec/podman/catatonit', alternatives: ['/usr/bin/catatonit'] },
  { name: 'mmdebstrap', provides: '/usr/bin/mmdebstrap' },
];

/** Returns the names of packages it could not provide (empty when all are there). */
export function ensureSystemPackages(log = (s) => process.stderr.write(`${s}\n`)) {
  const missing = SYSTEM_PACKAGES.filter((p) => ![p.provides, ...(p.alternatives ?? [])].some((f) => existsSync(f))).map((p) => p.name);
  if (missing.length === 0) return [];
  const apt = ['/usr/bin/apt-get'].find((f) => existsSync(f));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (apt === undefined || !isRoot) {
    log(`system packages missing and cannot be installed here (need root and apt-get): ${missing.join(' ')}`);
    return missing;
  }
  log(`installing system packages the tests need: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync(apt, ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync(apt, ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env }) : update;
  if (install.status !== 0) log('apt-get failed: the tests that need these packages will fail with a clear message');
  return SYSTEM_PACKAGES.filter((p) => ![p.provides, ...(p.alternatives ?? [])].some((f) => existsSync(f))).map((p) => p.name);
}
