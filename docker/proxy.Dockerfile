# Tenant Security Proxy (API :7777, health and metrics :9000). Stateless: scale by adding proxy/logdriver pairs.
#
# Build from the repository root (the build context; see /.dockerignore):
#   podman build --format docker -f docker/proxy.Dockerfile -t tsp-proxy .     (or: docker build ...)
# --format docker matters for podman/buildah: HEALTHCHECK exists only in the Docker image format;
# an OCI-format image (buildah's default) silently loses it. Docker itself always writes it.
# BUILD_IMAGE / BASE_IMAGE default to the official Node 20 images; the tests pass local ones
# built without a registry (tools/containers). Run it: see the README's production section.

# Builder: the full Debian image has python3, make and g++ for node-gyp (better-sqlite3).
ARG BUILD_IMAGE=node:20-bookworm
# Runtime: slim Debian + Node only (no compiler, no package cache).
ARG BASE_IMAGE=node:20-bookworm-slim

# ---- build stages: keep them IDENTICAL in the three Dockerfiles (proxy, logdriver,
# config-broker) so the layer cache runs npm ci and the build once for all three images. ----
FROM ${BUILD_IMAGE} AS deps
# better-sqlite3 is compiled by node-gyp against this image's own Node headers (the official
# images and tools/containers' local base keep them under /usr/local): no prebuilt download from
# GitHub and no header download, so the build needs only the npm registry.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=better-sqlite3 \
    npm_config_update_notifier=false \
    NX_DAEMON=false \
    NX_NO_CLOUD=true
# Node does not read the system CA store; a TLS-intercepting egress proxy's CA (mounted over the
# bundle with `-v /etc/ssl/certs/ca-certificates.crt:...:ro` at build time) must reach npm.
# An ARG is build-time only: it is not in the runtime image.
ARG NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
# All dependencies (the build needs esbuild and typescript). This layer and the two stages below
# that start from it are reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Production dependencies only: what the runtime stage copies. Depends on package*.json alone, so
# a source change does not make a new 170 MB node_modules layer.
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# One esbuild bundle per entry point (workspace libs inlined, npm packages external).
FROM deps AS builder
COPY tsconfig.base.json tsconfig.json nx.json ./
COPY apps apps
COPY libs libs
COPY tools tools
RUN node tools/build/build.mjs

# ---- runtime ----
FROM ${BASE_IMAGE}
# No package manager at run time: the base's npm, npx, corepack and yarn (official slim images)
# are deleted, so nothing in the container can install or run packages. (Their files stay in the
# base image's layer: this hides them, it does not make the image smaller.) rm -f: the tests'
# local base has only /usr/local/bin/node, and a path that does not exist is fine. Before any
# ARG or LABEL, so the three images share this layer.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-v*
ARG VERSION=0.0.0-dev
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="tsp-proxy" \
      org.opencontainers.image.description="Tenant Security Proxy: wraps and unwraps document keys with each tenant's own KMS; stateless" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
# 0.0.0.0: inside a container the network namespace is the boundary; the API, health and metrics
# must be reachable on the pod/container IP (published ports, Services, kubelet probes). Outside
# containers the apps keep their 127.0.0.1 default.
ENV NODE_ENV=production \
    TSP_HOST=0.0.0.0
WORKDIR /app
# Only what the proxy needs: its bundle, production node_modules, package.json. Nothing is
# written at run time (read-only root filesystem friendly; config lives in memory).
COPY --from=prod-deps /src/package.json ./package.json
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=builder /src/dist/apps/proxy ./dist/apps/proxy
# Numeric, non-root: satisfies Kubernetes runAsNonRoot without a passwd entry. The app files
# above stay root-owned, so the process cannot change its own code.
USER 10001:10001
# Node runs as PID 1, with no init: runService (libs/app-support) handles SIGTERM and SIGINT
# (PID 1 gets only signals it handles), drains and exits 0. The API workers (TSP_WORKERS) are
# node's own cluster children: it stops and reaps them; nothing else is spawned, so no orphan
# needs an init to reap it. Tested: `podman stop` with requests in flight (tools/containers).
STOPSIGNAL SIGTERM
EXPOSE 7777 9000
# No curl in slim images: node's fetch against /ready of the health port (500 while starting
# or draining). Assumes the health server is reachable on 127.0.0.1 (TSP_HOST 0.0.0.0 or 127.0.0.1).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TSP_HEALTH_PORT||9000)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/apps/proxy/main.js"]
