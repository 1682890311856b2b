# cronops: multi-stage build, slim Node LTS runtime, tini as PID 1, non-root.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.dashboard.json ./
COPY scripts ./scripts
COPY src ./src
COPY schema ./schema
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/cronops/schedules.d /var/lib/cronops \
 && chown node:node /var/lib/cronops
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schema ./schema
# No schedules are baked in: /etc/cronops/schedules.d stays empty until manifests are mounted there
# (a ConfigMap, a bind mount); the daemon logs "no schedules: …" until then.
ENV NODE_ENV=production \
    CRONOPS_DIR=/etc/cronops/schedules.d \
    CRONOPS_STATE_DIR=/var/lib/cronops \
    CRONOPS_LISTEN=0.0.0.0:8787 \
    CRONOPS_LOG_FORMAT=json
USER node
VOLUME ["/var/lib/cronops"]
EXPOSE 8787
# `cronops healthcheck` probes /healthz on the address in CRONOPS_LISTEN (0.0.0.0 is probed on loopback),
# so changing the port needs no change here; tests/container/healthcheck.test.ts runs this exact line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/dist/cli/main.js", "healthcheck"]
# tini forwards SIGTERM to the daemon and reaps zombies left by jobs' grandchildren.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=1", "/app/dist/cli/main.js"]
CMD ["run"]
