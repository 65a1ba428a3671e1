/**
 * node:http's `createServer`, taken with `process.getBuiltinModule` rather than an ES import. An ES
 * import of a built-in module builds its namespace from every export, and node:http exports
 * `WebSocket`, `MessageEvent` and `CloseEvent` as getters that load Node's bundled copy of undici
 * (fetch, WebSocket, EventSource). On Node 24.21, importing node:http that way costs 14.4 MiB of RSS
 * and 2.4 MiB of heap; taking the module itself, 2.2 and 0.3. Each thread that serves HTTP pays it:
 * the main thread (health-server.ts) and the probe thread (probe-worker.ts).
 */
export const { createServer } = process.getBuiltinModule("node:http");
