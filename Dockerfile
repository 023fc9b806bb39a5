# Sluice collector image.
#   docker build -t sluice/collector .                 the collector (default, last stage)
#   docker build --target demo -t sluice/demo .        the demo app used by docker-compose.yml
# One base image for every stage, pinned to a full version; bump it in one place.
ARG NODE_IMAGE=node:22.20.0-bookworm-slim

# --- build: install every dependency from the lockfile and compile the TypeScript ---------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/pdata/package.json packages/pdata/
COPY packages/core/package.json packages/core/
COPY packages/otlp/package.json packages/otlp/
COPY packages/file/package.json packages/file/
COPY packages/loki/package.json packages/loki/
COPY packages/processors/package.json packages/processors/
COPY packages/sdk/package.json packages/sdk/
COPY packages/collector/package.json packages/collector/
# re2 (the processors' regex engine) is a native addon: when no prebuilt binary can be had, it
# compiles with these, against the image's own Node headers (npm_config_nodedir: nothing to download).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# re2's install script first fetches a prebuilt binary, from GitHub's releases unless
# RE2_DOWNLOAD_MIRROR names another host or a path laid out the same way
# (<mirror>/uhop/node-re2/releases/download/<version>/<platform>-<arch>-<node ABI>); it compiles
# only when that fails or the binary does not load. Empty by default: re2's own behaviour.
ARG RE2_DOWNLOAD_MIRROR=
# --ignore-scripts: the root `prepare` script builds, which needs the sources copied below; so
# re2's install script, skipped with the rest, is run on its own, its output shown (fetched or
# compiled).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm_config_nodedir=/usr/local npm rebuild re2 --foreground-scripts --no-audit --no-fund
COPY packages/ packages/
COPY examples/ examples/
RUN npx tsc -b packages/collector packages/sdk

# --- demo: the example app, with the SDK and pino (a dev dependency of the repo) ----------------
FROM build AS demo
ENV NODE_ENV=production
USER 1000:1000
ENTRYPOINT ["node", "/app/examples/demo/app.js"]

# --- prune: drop dev dependencies and TypeScript sources from what the runtime copies ------------
FROM build AS prune
# The SDK is a client library the collector never loads (the demo runs from the build stage): out
# of the workspaces, it is pruned with what only it needs (its OpenTelemetry exporters, and pino
# and winston, its optional peers, which npm would otherwise keep as dev-and-optional).
# Only the .ts files go: assets beside them (e.g. vendored .proto files) may be read at run time.
# re2 loads only build/Release/re2.node: its C++ sources and object files stay behind.
# npm prune leaves the directories of emptied @scopes (e.g. @pinojs) behind.
RUN node -e "const fs = require('fs'); const p = JSON.parse(fs.readFileSync('package.json', 'utf8')); p.workspaces = p.workspaces.filter((w) => w !== 'packages/sdk'); fs.writeFileSync('package.json', JSON.stringify(p, null, 2) + '\n')" \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete \
 && rm -rf packages/sdk \
 && rm -rf node_modules/re2/vendor node_modules/re2/build/Release/obj.target node_modules/re2/build/Release/.deps \
 && find packages -path '*/src/*' ! -path '*/node_modules/*' -name '*.ts' ! -name '*.d.ts' -delete \
 && rm -rf packages/*/test packages/*/dist/test \
 && find packages -name '*.tsbuildinfo' -delete

# --- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the collector's user; only the data volume is writable.
COPY --from=prune /app/package.json ./
COPY --from=prune /app/node_modules/ node_modules/
COPY --from=prune /app/packages/ packages/
COPY configs/docker.yaml /etc/sluice/config.yaml
# 1000 is the image's `node` user; numeric so Kubernetes' runAsNonRoot can verify it.
RUN mkdir -p /var/lib/sluice && chown 1000:1000 /var/lib/sluice
USER 1000:1000
# The persistent sending queue and the JSONL files live here.
VOLUME ["/var/lib/sluice"]
# OTLP gRPC, OTLP HTTP, Prometheus /metrics, health check.
EXPOSE 4317 4318 8888 13133
# Slim images have no curl: a small Node script asks the health_check extension. Its arguments hold
# no spaces, so every engine runs the same argument list.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/packages/collector/bin/healthcheck.js", "http://127.0.0.1:13133/"]
# Node is PID 1 (exec form, no shell): SIGTERM reaches the collector, which drains its queues
# within service.shutdown_timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/packages/collector/bin/sluice.js"]
CMD ["--config", "/etc/sluice/config.yaml"]
