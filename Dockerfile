# release-health as one image for every compose service: `serve` by default; `ingest-kafka`,
# `simulate`, `report`, `migrate` as commands. Node 24 runs the TypeScript sources directly
# (type stripping). The embedded engine (chDB) ships native libraries for Linux x64 and arm64
# (glibc), which this Debian image is; elsewhere, point it at a ClickHouse server.
FROM node:24-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: the lockfile holds chDB's native library for the platform it was
# made on only, and `npm ci` refuses a lockfile that lacks the optional libraries of the other
# platforms (the reason .ci/run uses `npm install` too). The lockfile still pins every version
# it holds. No install script is needed: chDB's library comes as an optional dependency.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY dashboards ./dashboards

# The code stays root-owned: the process cannot change it. It runs as the unprivileged `node`
# user in a directory of its own, which holds the embedded store (./data) and whatever
# `report --out` writes.
RUN mkdir -p /var/lib/release-health/data && chown -R node:node /var/lib/release-health
WORKDIR /var/lib/release-health
USER node

# In a container the published ports arrive on the container's interface, not on loopback:
# listen on every interface (outside a container the default is 127.0.0.1).
ENV RH_API_HOST=0.0.0.0 RH_OTLP_HTTP_HOST=0.0.0.0 RH_OTLP_GRPC_HOST=0.0.0.0
EXPOSE 4317 4318 8080
ENTRYPOINT ["node", "/app/bin/release-health.js"]
CMD ["serve"]
