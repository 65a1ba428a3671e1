/**
 * A Kong 3.x DB-less Admin API on loopback for tests (kong-admin-api.md §11): real HTTP(S) listeners,
 * the real validator, load lock, hashes, read-only entity endpoints and injectable faults.
 */
import { randomUUID } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BUNDLED_PLUGINS,
  type KongValidationOptions,
  type RouterFlavor,
} from "../../../src/kong/validate/index.ts";
import { configDump, entityEndpoint } from "./collections.ts";
import { FaultTable, type Fault, type FaultHandle } from "./faults.ts";
import {
  defaultFaultBody,
  json,
  message,
  METHOD_NOT_ALLOWED,
  nginxHtml,
  NOT_FOUND,
  send,
  type Reply,
} from "./http.ts";
import { DEFAULT_PROXY_LISTENERS, type ListenerSpec } from "./listeners.ts";
import { rootBody, statusBody, type StatusCounters } from "./node-info.ts";
import { EMPTY_CONFIG, postConfig, type LoadedConfig } from "./post-config.ts";
import { schemaEndpoint } from "./schemas.ts";

export interface KongEmulatorOptions {
  /** Reported `version` (default `3.9.1`). */
  readonly version?: string;
  readonly routerFlavor?: RouterFlavor;
  readonly proxyListeners?: readonly ListenerSpec[];
  readonly streamListeners?: readonly ListenerSpec[];
  /** Require `Kong-Admin-Token` (Enterprise RBAC behaviour). */
  readonly adminToken?: string;
  /** Serve the admin API over TLS; `requestClientCert` makes it demand a client certificate signed by `ca`. */
  readonly tls?: {
    readonly key: string;
    readonly cert: string;
    readonly ca?: string;
    readonly requestClientCert?: boolean;
  };
  /** How long a successful load holds the lock before `201` (default 0). */
  readonly loadDurationMs?: number;
  /** nginx `client_max_body_size` (default 10 MiB). */
  readonly maxBodyBytes?: number;
  /** JSON size above which a load fails with the LMDB `413` (default: unlimited). */
  readonly storeLimitBytes?: number;
  /** Enabled plugin names (default: Kong's bundled plugins). */
  readonly enabledPlugins?: readonly string[];
  /** Start a separate status listener (`/status`, `/status/ready`). */
  readonly statusListener?: boolean;
  /** Merged into `GET /` `configuration` (`undefined` removes a key), e.g. `{ database: "postgres" }`. */
  readonly configurationOverrides?: Readonly<Record<string, unknown>>;
  /** Pre-3.4 `/status` shape with `database.reachable`. */
  readonly legacyStatus?: boolean;
  /** "Now" for CA certificate expiry checks (default: the real clock). */
  readonly now?: () => number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Undefined while unanswered (hung, reset or still loading). */
  status: number | undefined;
  readonly time: number;
}

export interface AcceptedConfig {
  readonly at: number;
  readonly hash: string;
  readonly body: unknown;
}

export interface KongEmulator {
  readonly url: string;
  readonly statusUrl: string | undefined;
  configHash(): string;
  currentConfig(): unknown;
  accepted(): readonly AcceptedConfig[];
  requests(): readonly RecordedRequest[];
  postCounts(): Record<string, number>;
  inject(fault: Fault): FaultHandle;
  clearFaults(): void;
  restart(opts?: { readonly keepConfig?: boolean; readonly downtimeMs?: number }): Promise<void>;
  loseConfig(): void;
  setListeners(proxy: readonly ListenerSpec[], stream?: readonly ListenerSpec[]): void;
  stop(): Promise<void>;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const GENERIC_TYPES = [
  "application/json",
  "multipart/form-data",
  "application/x-www-form-urlencoded",
];
const YAML_TYPES = ["application/yaml", "text/yaml"];

interface ListeningServer {
  readonly server: Server;
  readonly sockets: Set<Socket>;
  port: number;
  open: boolean;
}

function trackSockets(server: Server, sockets: Set<Socket>, counters: StatusCounters): void {
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    counters.accepted += 1;
    counters.active += 1;
    socket.on("close", () => {
      sockets.delete(socket);
      counters.active -= 1;
    });
  });
}

async function listen(entry: ListeningServer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    entry.server.once("error", reject);
    entry.server.listen(entry.port, "127.0.0.1", () => {
      entry.server.off("error", reject);
      resolve();
    });
  });
  const address = entry.server.address();
  if (address !== null && typeof address === "object") entry.port = address.port;
  entry.open = true;
}

async function close(entry: ListeningServer): Promise<void> {
  if (!entry.open) return;
  entry.open = false;
  const closed = new Promise<void>(resolve =>
    entry.server.close(() => {
      resolve();
    }),
  );
  for (const socket of entry.sockets) socket.destroy();
  await closed;
}

function countContentTypes(req: IncomingMessage): number {
  return req.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === "content-type").length;
}

class Emulator implements KongEmulator {
  readonly #options: KongEmulatorOptions;
  readonly #version: string;
  readonly #admin: ListeningServer;
  readonly #status: ListeningServer | undefined;
  readonly #faults: FaultTable;
  readonly #counters: StatusCounters = { accepted: 0, active: 0, requests: 0 };
  readonly #requests: RecordedRequest[] = [];
  readonly #accepted: AcceptedConfig[] = [];
  readonly #postCounts: Record<string, number> = {};
  #config: LoadedConfig = EMPTY_CONFIG;
  #nodeId = randomUUID();
  #pids = { master: 1, workers: [1281, 1282] };
  #lockedUntil = 0;
  #draining = false;
  #proxy: readonly ListenerSpec[];
  #stream: readonly ListenerSpec[];
  #downForConnections = false;
  #stopped = false;

  constructor(options: KongEmulatorOptions) {
    this.#options = options;
    this.#version = options.version ?? "3.9.1";
    this.#proxy = options.proxyListeners ?? DEFAULT_PROXY_LISTENERS;
    this.#stream = options.streamListeners ?? [];
    this.#faults = new FaultTable(() => void this.#syncDown());
    const handler = (req: IncomingMessage, res: ServerResponse): void =>
      void this.#handleAdmin(req, res);
    const tls = options.tls;
    const server =
      tls === undefined
        ? createHttpServer(handler)
        : createHttpsServer(
            {
              key: tls.key,
              cert: tls.cert,
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              requestCert: tls.requestClientCert === true,
              rejectUnauthorized: false,
            },
            handler,
          );
    this.#admin = { server, sockets: new Set(), port: 0, open: false };
    trackSockets(server, this.#admin.sockets, this.#counters);
    server.on("connection", (socket: Socket) => {
      if (this.#downForConnections && this.#faults.take(["down"], "*", "*") !== undefined)
        socket.destroy();
    });
    if (options.statusListener === true) {
      const status = createHttpServer((req, res) => void this.#handleStatus(req, res));
      this.#status = { server: status, sockets: new Set(), port: 0, open: false };
      trackSockets(status, this.#status.sockets, this.#counters);
    }
  }

  get url(): string {
    return `${this.#options.tls === undefined ? "http" : "https"}://127.0.0.1:${this.#admin.port}`;
  }

  get statusUrl(): string | undefined {
    return this.#status === undefined ? undefined : `http://127.0.0.1:${this.#status.port}`;
  }

  async start(): Promise<void> {
    await listen(this.#admin);
    if (this.#status !== undefined) await listen(this.#status);
  }

  configHash(): string {
    return this.#config.hash;
  }

  currentConfig(): unknown {
    return this.#config.posted;
  }

  accepted(): readonly AcceptedConfig[] {
    return this.#accepted;
  }

  requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  postCounts(): Record<string, number> {
    return { ...this.#postCounts };
  }

  inject(fault: Fault): FaultHandle {
    return this.#faults.add(fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  loseConfig(): void {
    this.#config = EMPTY_CONFIG;
  }

  setListeners(proxy: readonly ListenerSpec[], stream: readonly ListenerSpec[] = []): void {
    this.#proxy = proxy;
    this.#stream = stream;
  }

  async restart(
    opts: { readonly keepConfig?: boolean; readonly downtimeMs?: number } = {},
  ): Promise<void> {
    await close(this.#admin);
    if (this.#status !== undefined) await close(this.#status);
    if (opts.downtimeMs !== undefined && opts.downtimeMs > 0) await sleep(opts.downtimeMs);
    if (opts.keepConfig !== true) this.#config = EMPTY_CONFIG;
    this.#nodeId = randomUUID();
    this.#pids = { master: this.#pids.master + 10, workers: this.#pids.workers.map(p => p + 10) };
    this.#lockedUntil = 0;
    this.#draining = false;
    await this.start();
    await this.#syncDown();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#faults.clear();
    await close(this.#admin);
    if (this.#status !== undefined) await close(this.#status);
  }

  /** `down` without a count closes the listener (refused connections); with a count it drops sockets. */
  async #syncDown(): Promise<void> {
    if (this.#stopped) return;
    this.#downForConnections = this.#faults.has("down") && !this.#faults.listenerDown();
    if (this.#faults.listenerDown()) await close(this.#admin);
    else if (!this.#admin.open && this.#admin.port !== 0) await listen(this.#admin);
  }

  #validation(): KongValidationOptions {
    return {
      routerFlavor: this.#options.routerFlavor ?? "traditional_compatible",
      enabledPlugins: new Set(this.#options.enabledPlugins ?? BUNDLED_PLUGINS),
      now: (this.#options.now ?? Date.now)(),
    };
  }

  #record(req: IncomingMessage, url: URL, body: string): RecordedRequest {
    const entry: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body,
      status: undefined,
      time: Date.now(),
    };
    this.#requests.push(entry);
    this.#counters.requests += 1;
    return entry;
  }

  /** The body text, or undefined when it exceeds the nginx body limit. */
  async #readBody(req: IncomingMessage): Promise<string | undefined> {
    const limit = this.#options.maxBodyBytes ?? 10 * 1024 * 1024;
    if (Number(req.headers["content-length"] ?? 0) > limit) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) return undefined;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  async #handleAdmin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await this.#readBody(req);
    const entry = this.#record(req, url, body ?? "");
    const reply = await this.#adminReply(req, url, body);
    if (reply === undefined) return;
    entry.status = reply.status;
    if (req.method === "POST" && url.pathname.replace(/\/$/, "") === "/config") {
      this.#postCounts[String(reply.status)] = (this.#postCounts[String(reply.status)] ?? 0) + 1;
    }
    const headers = body === undefined ? { ...reply.headers, Connection: "close" } : reply.headers;
    send(req, res, headers === undefined ? reply : { ...reply, headers }, {
      version: this.#version,
      startedAt,
    });
  }

  /** The reply, or undefined when a fault took the connection (hang, reset). */
  async #adminReply(
    req: IncomingMessage,
    url: URL,
    body: string | undefined,
  ): Promise<Reply | undefined> {
    if (body === undefined) return nginxHtml(413, "Request Entity Too Large");
    const gate = this.#authGate(req);
    if (gate !== undefined) return gate;
    const method = req.method ?? "GET";
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
    const fault = this.#faults.take(["reset", "hang", "slow", "status", "garbage"], method, path);
    if (fault?.kind === "reset") {
      req.socket.resetAndDestroy();
      return undefined;
    }
    if (fault?.kind === "hang") return undefined;
    if (fault?.kind === "slow") await sleep(fault.delayMs);
    if (fault?.kind === "status") return this.#statusFault(fault);
    if (fault?.kind === "garbage") {
      return {
        status: fault.status ?? 200,
        raw: fault.body,
        contentType: fault.contentType ?? "application/json; charset=utf-8",
      };
    }
    return this.#route({ req, method, path, query: url.searchParams, body });
  }

  /** `OPTIONS` on a known path: 204 with the allowed methods (§1). */
  #optionsReply(path: string): Reply {
    const known =
      path === "/" ||
      path === "/status" ||
      path === "/config" ||
      entityEndpoint(
        {},
        {
          method: "GET",
          segments: path.split("/").filter(s => s !== ""),
          path,
          query: new URLSearchParams(),
        },
      ) !== undefined;
    if (!known) return NOT_FOUND;
    const methods = path === "/config" ? "GET, HEAD, OPTIONS, POST" : "GET, HEAD, OPTIONS";
    return { status: 204, headers: { Allow: methods, "Access-Control-Allow-Methods": methods } };
  }

  #statusFault(fault: Extract<Fault, { kind: "status" }>): Reply {
    const base = defaultFaultBody(fault.status);
    const headers = { ...base.headers, ...fault.headers };
    if (fault.body !== undefined)
      return {
        status: fault.status,
        raw: fault.body,
        contentType: "application/json; charset=utf-8",
        headers,
      };
    return { ...base, status: fault.status, headers };
  }

  #authGate(req: IncomingMessage): Reply | undefined {
    const tls = this.#options.tls;
    if (tls?.requestClientCert === true) {
      const socket = req.socket;
      if (!(socket instanceof TLSSocket)) return undefined;
      const peer = socket.getPeerCertificate();
      if (Object.keys(peer).length === 0) {
        return nginxHtml(
          400,
          "No required SSL certificate was sent",
          "No required SSL certificate was sent",
        );
      }
      if (!socket.authorized)
        return nginxHtml(400, "The SSL certificate error", "The SSL certificate error");
    }
    const token = this.#options.adminToken;
    if (token !== undefined && req.headers["kong-admin-token"] !== token) {
      return message(401, "Invalid credentials. Token or User credentials required");
    }
    return undefined;
  }

  #contentGate(
    req: IncomingMessage,
    method: string,
    path: string,
    body: string,
  ): Reply | undefined {
    if (!BODY_METHODS.has(method)) return undefined;
    if (countContentTypes(req) > 1) {
      return {
        status: 400,
        raw: "Multiple Content-Type headers not allowed",
        contentType: "text/plain",
      };
    }
    const type = (req.headers["content-type"] ?? "").toLowerCase();
    if (type === "") return body === "" ? undefined : { status: 415 };
    const allowed = path === "/config" ? [...GENERIC_TYPES, ...YAML_TYPES] : GENERIC_TYPES;
    if (!allowed.some(t => type.startsWith(t))) return { status: 415 };
    if (type.startsWith("application/json")) {
      try {
        JSON.parse(body);
      } catch {
        return message(400, "Cannot parse JSON body");
      }
    }
    return undefined;
  }

  async #route(r: {
    req: IncomingMessage;
    method: string;
    path: string;
    query: URLSearchParams;
    body: string;
  }): Promise<Reply> {
    const gate = this.#contentGate(r.req, r.method, r.path, r.body);
    if (gate !== undefined) return gate;
    if (r.method === "OPTIONS") return this.#optionsReply(r.path);
    const read = r.method === "GET" || r.method === "HEAD";
    if (r.path === "/") {
      if (!read) return METHOD_NOT_ALLOWED;
      if (this.#faults.take(["listenersUnknown"], r.method, r.path) !== undefined) {
        return message(503, "listeners not yet known");
      }
      return json(200, this.#root());
    }
    if (r.path === "/status") return read ? json(200, this.#statusBody()) : METHOD_NOT_ALLOWED;
    if (r.path === "/config") {
      if (read) return configDump(this.#config.entities);
      if (r.method !== "POST") return METHOD_NOT_ALLOWED;
      return this.#postConfig(r);
    }
    const segments = r.path.split("/").filter(s => s !== "");
    if (segments[0] === "schemas")
      return schemaEndpoint(segments, r.method, r.body, this.#validation());
    return (
      entityEndpoint(this.#config.entities, {
        method: r.method,
        segments,
        path: r.path,
        query: r.query,
      }) ?? NOT_FOUND
    );
  }

  async #postConfig(r: {
    req: IncomingMessage;
    path: string;
    query: URLSearchParams;
    body: string;
    method: string;
  }): Promise<Reply> {
    const reject = this.#faults.take(["rejectTagged"], r.method, r.path);
    return postConfig(
      {
        text: r.body,
        contentType: r.req.headers["content-type"] ?? "",
        query: r.query,
      },
      {
        currentHash: () => this.#config.hash,
        validation: () => this.#validation(),
        rejectTag: () => (reject?.kind === "rejectTagged" ? reject.tag : undefined),
        lockRemainingMs: () => Math.max(0, this.#lockedUntil - Date.now()),
        load: config => this.#load(config, r),
      },
    );
  }

  async #load(config: LoadedConfig, r: { method: string; path: string }): Promise<Reply> {
    const size = Buffer.byteLength(JSON.stringify(config.entities));
    if (this.#options.storeLimitBytes !== undefined && size > this.#options.storeLimitBytes) {
      return defaultFaultBody(413);
    }
    const duration = this.#options.loadDurationMs ?? 0;
    this.#lockedUntil = Date.now() + duration;
    if (duration > 0) await sleep(duration);
    this.#lockedUntil = 0;
    const stamped = stampEntities(config.entities, Date.now());
    if (this.#faults.take(["acceptedNotApplied"], r.method, r.path) === undefined) {
      this.#config = { ...config, entities: stamped };
      this.#accepted.push({ at: Date.now(), hash: config.hash, body: config.posted });
    }
    return json(201, stamped);
  }

  #root(): Record<string, unknown> {
    const admin: ListenerSpec = {
      ip: "127.0.0.1",
      port: this.#admin.port,
      ssl: this.#options.tls !== undefined,
      http2: this.#options.tls !== undefined,
    };
    return rootBody({
      version: this.#version,
      nodeId: this.#nodeId,
      pids: this.#pids,
      routerFlavor: this.#options.routerFlavor ?? "traditional_compatible",
      enabledPlugins: [...(this.#options.enabledPlugins ?? BUNDLED_PLUGINS)].sort(),
      entities: this.#config.entities,
      proxyListeners: this.#proxy,
      streamListeners: this.#stream,
      adminListeners: [admin],
      statusListeners:
        this.#status === undefined ? [] : [{ ip: "127.0.0.1", port: this.#status.port }],
      maxBodyBytes: this.#options.maxBodyBytes ?? 10 * 1024 * 1024,
      configurationOverrides: this.#options.configurationOverrides ?? {},
    });
  }

  #statusBody(): Record<string, unknown> {
    return statusBody(this.#config.hash, this.#counters, {
      legacy: this.#options.legacyStatus === true,
      pids: this.#pids.workers,
    });
  }

  async #handleStatus(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await this.#readBody(req);
    const entry = this.#record(req, url, body ?? "");
    const reply = this.#statusReply(
      req.method ?? "GET",
      url.pathname.replace(/(.)\/$/, "$1"),
      body ?? "",
    );
    entry.status = reply.status;
    send(req, res, reply, { version: this.#version, startedAt });
  }

  #statusReply(method: string, path: string, body: string): Reply {
    if (path === "/status")
      return method === "GET" || method === "HEAD"
        ? json(200, this.#statusBody())
        : METHOD_NOT_ALLOWED;
    if (path !== "/status/ready") return NOT_FOUND;
    if (method === "POST") {
      const params = new URLSearchParams(body);
      let status = params.get("status");
      if (status === null && body.trim().startsWith("{"))
        status = String((JSON.parse(body) as { status?: unknown }).status);
      if (status === "draining") {
        this.#draining = true;
        return { status: 204 };
      }
      return message(400, "invalid status");
    }
    if (this.#draining) return message(503, "draining");
    if (this.#config.hash === EMPTY_CONFIG.hash)
      return message(503, "no configuration available (empty configuration present)");
    return message(200, "ready");
  }
}

/** Adds `created_at` / `updated_at` the way a load does (seconds; targets in float milliseconds precision). */
function stampEntities(entities: LoadedConfig["entities"], now: number): LoadedConfig["entities"] {
  const out: LoadedConfig["entities"] = {};
  for (const [collection, byId] of Object.entries(entities)) {
    const stamp = collection === "targets" ? Math.round(now) / 1000 : Math.floor(now / 1000);
    out[collection] = Object.fromEntries(
      Object.entries(byId).map(([id, e]) => [id, { ...e, created_at: stamp, updated_at: stamp }]),
    );
  }
  return out;
}

/** Starts an emulator on 127.0.0.1 with OS-assigned ports; several may run at once. */
export async function startKongEmulator(options: KongEmulatorOptions = {}): Promise<KongEmulator> {
  const emulator = new Emulator(options);
  await emulator.start();
  return emulator;
}
