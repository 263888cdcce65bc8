/**
 * Container images without a registry image (issue 6), for the image tests and for anything that
 * runs the images here (e.g. the compose check):
 *
 *   const built = await buildImages();   // built.refs: localhost/tsp-{proxy,logdriver,config-broker}:run-<owner>
 *   ...                                  // run built.refs (this run's own tags), never :test
 *   await releaseImages(built);          // untags them (a killed run's tags: removed by the next build)
 *   // podman/podman-compose calls need env: podmanEnv() (CONTAINERS_CONF=var/containers/containers.conf:
 *   // runc, cgroupfs, file events, ulimits; /etc is never edited).
 *
 * Network: building reaches the npm registry (npm ci, --network=host) and deb.debian.org
 * (mmdebstrap, for the local bases), by design; the containers themselves talk to 127.0.0.1 only.
 *
 * - ensureLocalBases(): localhost/tsp-node-build:20 and localhost/tsp-node-base:20 from mmdebstrap
 *   plus the host's Node (reused while the host's Node version is unchanged); pass them as the
 *   BUILD_IMAGE / BASE_IMAGE build args (buildImages does).
 * - buildImages({ tag, apps, logFile, owner }): podman build --pull=never --network=host --format
 *   docker, layer cache on, host CA bundle mounted; progress in var/containers/build.log. Each image
 *   is tagged `test` (the last build) and `run-<owner>` (this run's: concurrent runs never swap
 *   each other's images; a tagged image is never pruned). Serialized by a machine-wide lock
 *   (podman.ts LOCK_DIR: the image store is shared by every checkout). After a successful build it
 *   removes this repo's untagged images the build did not use (stale layer cache). First run:
 *   about 1 min of bases and 2-3 min of npm ci; later runs reuse both.
 * - testImages(): what the *.container.ts suites call. Under `npm test` the images were built
 *   once before the container pass (tools/test/run-tests.mjs runs prebuild-images.ts with one time
 *   limit and hands them over in $TSP_CONTAINER_IMAGES): only checked. Run alone, a suite builds.
 * - Owners (podman.ts ownerId: boot id, pid namespace, pid, start time) label containers and
 *   volumes, name run tags and hold locks; only a certainly dead owner's leftovers are removed
 *   (removeOrphans; an owner in another pid namespace counts as alive until it is 6 h old). A lock
 *   holder touches its lock every 30 s; a lock untouched for 2 min is stale whoever holds it.
 * - Every container must run with --network=host (container-run.ts: startContainer/runToEnd add it,
 *   with --read-only, no tmpfs, the app's bind address pinned to 127.0.0.1 (BIND_HOST_ENV: the
 *   images say 0.0.0.0) and the label io.tsp.owner=<owner>); never address a container by a bridge
 *   IP, create no network. Remove what you made by name (removeContainers, removeVolumes);
 *   createVolume labels a volume so removeOrphans() can clear what a killed test run left behind.
 * - The images run as uid 10001: a host file bind-mounted into them (the service-account env file at
 *   /etc/tsp/service-account.env, read-only) must be readable by 10001 (the stack test chowns it, 0600).
 */
export * from './podman';
export * from './local-bases';
export * from './images';
export * from './container-run';
