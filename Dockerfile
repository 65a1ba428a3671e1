# kongress runs its TypeScript sources directly on Node 24 (type stripping), so the image needs no build step.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
USER 65532:65532
EXPOSE 10254 10255
ENTRYPOINT ["node", "bin/kongress.js"]
CMD ["run"]
