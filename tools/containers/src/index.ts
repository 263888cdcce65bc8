/**
 * Container images without a registry (issue 6), for the image tests and for anything that runs
 * the images here (e.g. the compose check):
 *
 *   const { refs } = await buildImages();        // localhost/tsp-{proxy,logdriver,config-broker}:test
 *   // podman/podman-compose calls need env: podmanEnv() (CONTAINERS_CONF=var/containers/containers.conf:
 *   // runc, cgroupfs, file events, ulimits; /etc is never edited).
 *
 * - ensureLocalBases(): localhost/tsp-node-build:20 and localhost/tsp-node-base:20 from mmdebstrap
 *   plus the host's Node (reused while the host's Node version is unchanged); pass them as the
 *   BUILD_IMAGE / BASE_IMAGE build args (buildImages does).
 * - buildImages({ tag, apps, logFile }): podman build --pull=never --network=host --format docker,
 *   layer cache on, host CA bundle mounted; progress in var/containers/build.log. Serialized by a lock
 *   under var/containers, so concurrent callers build once. First run: about 1 min of bases and
 *   2-3 min of npm ci; later runs reuse both.
 * - Every container must run with --network=host (container-run.ts: startContainer/runToEnd add it,
 *   with --read-only, no tmpfs, and the label io.tsp.owner-pid=<pid>); never address a container by
 *   a bridge IP, create no network. Remove what you made by name (removeContainers, removeVolumes);
 *   createVolume labels a volume so removeOrphans() can clear what a killed test run left behind.
 * - The images run as uid 10001: a host file bind-mounted into them (the service-account env file at
 *   /etc/tsp/service-account.env, read-only) must be readable by 10001 (the stack test chowns it, 0600).
 */
export * from './podman';
export * from './local-bases';
export * from './images';
export * from './container-run';
