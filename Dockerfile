# release-health as one image: `serve` by default; `ingest-kafka`, `simulate`, `report`,
# `migrate` as commands. Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
# Install scripts stay off except chDB's, which fetches the embedded ClickHouse library that
# `serve` uses when no ClickHouse URL is configured.
RUN npm ci --omit=dev --ignore-scripts \
  && npm rebuild chdb \
  && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY dashboards ./dashboards

# The embedded store's default data directory (./data), writable by the unprivileged user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 4318 8080
ENTRYPOINT ["node", "bin/release-health.js"]
CMD ["serve"]
