/**
 * The Kong stand-in's HTTP server, on a worker thread so that its timestamps do not wait for the
 * benchmark's own work on the main thread. It follows the DB-less Admin API contract the controller uses
 * (kong-admin-api.md §3–§6): `GET /` and `GET /status` with the emulator's bodies, `GET /config`, and
 * `POST /config` with `check_hash=1` (304 when the md5 of the exact body equals the running hash) and a
 * body limit (`nginx_admin_client_max_body_size`, from the worker data). It does not validate: the emulator's validator costs too much at 10k objects
 * to answer "at once" (see docs/benchmarks.md). Every POST is reported to the main thread.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { BUNDLED_PLUGINS } from "../../../src/kong/validate/index.ts";
import { DEFAULT_PROXY_LISTENERS } from "../../support/kong-emulator/listeners.ts";
import { rootBody, statusBody } from "../../support/kong-emulator/node-info.ts";
import { MARKER_PREFIX, sliceMarkersIn } from "../synthetic-cluster.ts";
import type { PostRecord, StandInOptions, StandInReply, StandInRequest } from "./kong-standin.ts";

const VERSION = "3.9.1";
const PIDS = { master: 1, workers: [1281, 1282] };

if (parentPort === null) throw new Error("kong-standin-worker runs only as a worker thread");
const port: MessagePort = parentPort;
const { maxBodyBytes } = workerData as StandInOptions;

const now = (): number => performance.timeOrigin + performance.now();
const nodeId = randomUUID();
const counters = { accepted: 0, active: 0, requests: 0 };
let running: { body: string; hash: string } | undefined;
let seq = 0;
let listenPort = 0;

function reply(res: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    Server: `kong/${VERSION}`,
  });
  res.end(text);
}

function root(): unknown {
  return rootBody({
    version: VERSION,
    nodeId,
    pids: PIDS,
    routerFlavor: "traditional_compatible",
    enabledPlugins: [...BUNDLED_PLUGINS].sort(),
    entities: {},
    proxyListeners: DEFAULT_PROXY_LISTENERS,
    streamListeners: [],
    adminListeners: [{ ip: "127.0.0.1", port: listenPort }],
    statusListeners: [],
    maxBodyBytes: maxBodyBytes,
    configurationOverrides: {},
  });
}

/** Every `bench-seq-<n>` marker and every marked pod's marker in a posted config. */
function markersIn(text: string): number[] {
  const found = new Set<number>(sliceMarkersIn(text));
  for (const match of text.matchAll(new RegExp(`${MARKER_PREFIX}(\\d+)`, "g"))) {
    found.add(Number(match[1]));
  }
  return [...found];
}

/**
 * Kong forces the zero hash for a config without entities (§6). Canonical JSON has no whitespace, and
 * every non-empty entity list (top-level or nested) holds objects, so `:[{` appears exactly when the
 * config has an entity; this spares a 10 MB parse per POST.
 */
function hashOf(text: string, md5: string): string {
  return text.includes(":[{") ? md5 : EMPTY_CONFIG_HASH;
}

function postConfig(req: IncomingMessage, res: ServerResponse, url: URL, startMs: number): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes <= maxBodyBytes) chunks.push(chunk);
  });
  req.on("end", () => {
    const receivedMs = now();
    const report = (status: number, md5: string, text: string): void => {
      const posted: PostRecord = {
        seq: seq++,
        startMs,
        receivedMs,
        respondedMs: now(),
        bytes,
        md5,
        status,
        markers: markersIn(text),
      };
      port.postMessage({ type: "post", record: posted } satisfies StandInReply);
    };
    if (bytes > maxBodyBytes) {
      res.writeHead(413, { "Content-Type": "text/html", Connection: "close" });
      res.end("<html><body>413 Request Entity Too Large</body></html>");
      report(413, "", "");
      return;
    }
    const buffer = Buffer.concat(chunks);
    const md5 = createHash("md5").update(buffer).digest("hex");
    const text = buffer.toString("utf8");
    if (url.searchParams.get("check_hash") === "1" && md5 === running?.hash) {
      res.writeHead(304);
      res.end();
      report(304, md5, text);
      return;
    }
    running = { body: text, hash: hashOf(text, md5) };
    // go-kong and the controller discard the 201 body (the normalised entities), so it stays minimal.
    reply(res, 201, {});
    report(201, md5, text);
  });
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const startMs = now();
  counters.requests += 1;
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
  const method = req.method ?? "GET";
  if (method === "POST" && path === "/config") {
    postConfig(req, res, url, startMs);
    return;
  }
  req.resume();
  req.on("end", () => {
    if (method !== "GET") reply(res, 405, { message: "Method not allowed" });
    else if (path === "/") reply(res, 200, root());
    else if (path === "/status") {
      const hash = running?.hash ?? EMPTY_CONFIG_HASH;
      reply(res, 200, statusBody(hash, counters, { legacy: false, pids: PIDS.workers }));
    } else if (path === "/config") {
      reply(res, 200, { config: running?.body ?? '_format_version: "3.0"\n' });
    } else reply(res, 404, { message: "Not found" });
  });
}

const server = createServer(handle);
server.on("connection", socket => {
  counters.accepted += 1;
  counters.active += 1;
  socket.on("close", () => (counters.active -= 1));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  listenPort = address !== null && typeof address === "object" ? address.port : 0;
  port.postMessage({ type: "listening", port: listenPort } satisfies StandInReply);
});

port.on("message", (message: StandInRequest) => {
  if (message.type === "lastBody") {
    port.postMessage({ type: "lastBody", body: running?.body } satisfies StandInReply);
    return;
  }
  server.close(() => {
    port.postMessage({ type: "closed" } satisfies StandInReply);
    port.close();
  });
  server.closeAllConnections();
});
