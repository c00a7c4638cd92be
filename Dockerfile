# One image for the five services; the argument picks which one runs:
#   docker build -t fleetwise:dev .
#   docker run --rm fleetwise:dev ingestion
# Kubernetes passes the service as `args` (deploy/kubernetes), compose as `command`.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a code change does not reinstall them. `npm install` honours the
# lockfile; `npm ci` would refuse it where it lacks another platform's native swc binaries.
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY schemas schemas
RUN npx tsc -p tsconfig.build.json && npx tsc-alias -p tsconfig.build.json \
  && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json marks the root the services find schemas/ from; schemas/ holds the Avro contract.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/schemas schemas
# Where a development setup keeps the shared signing key (AUTH_DEV_KEY_DIR); a named volume
# mounted here starts out owned by the service user.
RUN mkdir -p /var/lib/fleetwise/dev-keys && chown -R node:node /var/lib/fleetwise
# The node image's unprivileged user (uid 1000, as the manifests' runAsUser).
USER node
EXPOSE 3001 3002 3003 3004 3005
# exec: node becomes PID 1 and receives SIGTERM itself (the services shut down in order on it).
ENTRYPOINT ["/bin/sh", "-c", "main=\"dist/apps/$0/src/main.js\"; [ -f \"$main\" ] || { echo \"fleetwise: no service '$0' (device-twin, command-dispatcher, fuota-orchestrator, alerting, ingestion)\" >&2; exit 64; }; exec node \"$main\" \"$@\""]
CMD ["device-twin"]
