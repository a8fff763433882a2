# Interlock's API and worker, one image (the command picks the role). Multi-stage: the build stage installs
# everything and bundles the workflow code ahead of time; the runtime stage has production dependencies only,
# the prebuilt bundle, and runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsx scripts/build-workflow-bundle.ts /app/dist/workflow-bundle.js

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
# The source (TypeScript, run by tsx, a production dependency) and the bundle, then dev dependencies pruned.
COPY --from=build /app /app
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force
RUN mkdir -p /data && chown node:node /data
# MALLOC_ARENA_MAX: glibc otherwise keeps an allocation arena per thread (the Temporal core's, libuv's, the workflow
# thread's), and a worker's resident memory grows with them; two keep it near what it uses (docs/BENCHMARKS.md, pending).
ENV MALLOC_ARENA_MAX=2
ENV INTERLOCK_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    INTERLOCK_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
USER node
EXPOSE 3000 9464
# Readiness of the API; the worker service overrides it with its metrics port's /healthz (docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM reaches node directly (exec form, no npm in between), so the role drains and stops cleanly.
ENTRYPOINT ["node", "bin/interlock.js"]
CMD ["api"]
