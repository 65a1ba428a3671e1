# syntax=docker/dockerfile:1
# The kongress controller image: TypeScript compiled with the dev dependencies in one stage, then only
# the compiled JavaScript and the production dependencies on a distroless Node 24 (no shell, no
# package manager), as a non-root user. test/image/runtime-stage.test.ts repeats the runtime stage's
# install step and runs what it produces; keep the two in step.
#
# Pin the bases by digest when building a release (the tags below move with Node 24 patch releases):
#   docker build --build-arg BUILD_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest> \
#     --build-arg RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:<digest> -t kongress .
ARG BUILD_IMAGE=node:24.21.0-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# Build: compile src/ to dist/ with the dev dependencies. --ignore-scripts: the image's own Node
# compiles; the `node` dev dependency's install script (which fetches Node) is not needed here.
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# Production dependencies only, no install scripts.
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: no sources, no dev dependencies, no shell; bin/kongress.js loads dist/.
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kongress" \
      org.opencontainers.image.description="A Kong ingress controller for Kubernetes: Ingress and Gateway API to Kong declarative config" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs24-debian12:nonroot"
WORKDIR /app
ENV NODE_ENV=production
# glibc serves an allocation below its mmap threshold from its heap, which it gives back only from
# the top: a block freed among live ones stays resident. The config encoder's blocks (22-141 KiB,
# most about 96 KiB at 10k objects; rebuilt where a change lands) left that heap 44 MiB larger after
# 60 s of churn at 10k objects. With a fixed threshold of 16 KiB each is its own mapping, returned when
# freed: once quiet after the churn 179-182 MiB against 235-262, before it 179-180 against 187-193
# (docs/benchmarks.md, 2026-12-04, "the heap the churn left"). A fixed threshold also keeps glibc from
# raising it after the first large block is freed.
# The live benchmark starts the controller with this stage's ENV lines.
ENV MALLOC_MMAP_THRESHOLD_=16384
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
# distroless's nonroot user; the chart runs it with a read-only root filesystem.
USER 65532:65532
EXPOSE 10254 10255
# No V8 flags: capping the young generation (--max-semi-space-size=8) saved 40 MiB of RSS at 10k
# objects but doubled the CPU of each change and made idle CPU five times larger (docs/benchmarks.md,
# 2026-12-04). The live benchmark starts the controller with the options put between node and
# bin/kongress.js here.
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/kongress.js"]
CMD ["run"]
