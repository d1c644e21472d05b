# One image for every xauth service; the command picks the service (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json lerna.json ./
COPY contracts contracts
COPY shared shared
COPY services services
COPY cli cli
COPY e2e e2e
COPY scripts scripts
RUN npm ci --no-audit --no-fund && npx tsc -b && npm prune --omit=dev

FROM node:20-bookworm-slim
# Debian's Chromium: x-sim launches it for simulated profiles; Playwright never downloads a browser here.
RUN apt-get update && apt-get install -y --no-install-recommends chromium && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER node
CMD ["node", "--enable-source-maps", "services/gateway/dist/src/main.js"]
