FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild chdb
COPY bin ./bin
COPY src ./src
COPY dashboards ./dashboards
EXPOSE 4318 8080
ENTRYPOINT ["node", "bin/release-health.js"]
CMD ["serve"]
