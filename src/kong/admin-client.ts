/**
 * The Kong Admin API client: the only module that imports undici (STYLE.md rule 12). One client per Kong
 * node, each with its own connection pool, TLS settings, headers and deadlines. Every exchange is handed
 * to outcome.ts for classification; nothing here interprets a status code.
 */
import { Agent, type Dispatcher } from "undici";
import type { ZodType } from "zod";
import type { EncodedConfig } from "./encode.ts";
import {
  classifyPush,
  classifyRead,
  type Exchange,
  type PushOutcome,
  type ReadOutcome,
} from "./outcome.ts";
import {
  configDumpSchema,
  rootInfoSchema,
  statusInfoSchema,
  type ConfigDump,
  type RootInfo,
  type StatusInfo,
} from "./responses.ts";
import { ConfigInvalidError } from "../errors.ts";
import type { Clock } from "../util/clock.ts";
import { deadlineAfter } from "../util/deadline.ts";

/** undici's dispatcher type, re-exported so callers can inject a MockAgent without importing undici. */
export type AdminDispatcher = Dispatcher;

export interface AdminTlsOptions {
  /** PEM CA bundle that signs the Admin API's certificate. */
  readonly ca?: string;
  /** PEM client certificate and key, for an Admin API that demands mTLS. */
  readonly cert?: string;
  readonly key?: string;
  /** Development only: accept any server certificate. */
  readonly skipVerify?: boolean;
  /** SNI and the name checked against the server certificate. */
  readonly serverName?: string;
}

/**
 * Per-request deadline: `baseMs` plus `perMiBMs` for every MiB of request body, capped at `maxMs`. Kong
 * parses and validates the whole config before it answers, so a large config needs longer than a GET.
 */
export interface AdminTimeouts {
  readonly baseMs: number;
  readonly perMiBMs: number;
  readonly maxMs: number;
}

export const DEFAULT_ADMIN_TIMEOUTS: AdminTimeouts = Object.freeze({
  baseMs: 30_000,
  perMiBMs: 10_000,
  maxMs: 300_000,
});

export interface AdminClientOptions {
  /** Base URL, e.g. `https://kong-admin:8444` or `http://proxy/kong-admin`; userinfo becomes Basic auth. */
  readonly url: string;
  /** Sent as `Kong-Admin-Token` unless `headers` already has that header (KIC's rule). */
  readonly token?: string;
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  readonly tls?: AdminTlsOptions;
  readonly timeouts?: Partial<AdminTimeouts>;
  readonly clock: Clock;
  /** Tests inject undici's MockAgent. Without one the client owns an Agent of its own. */
  readonly dispatcher?: AdminDispatcher;
  readonly userAgent?: string;
}

export { ConfigEncoder, encodeConfig, encodeConfigText, type EncodedConfig } from "./encode.ts";

/** The deadline for a request with a body of `bytes` bytes. */
export function requestTimeoutMs(bytes: number, timeouts: AdminTimeouts): number {
  const scaled = timeouts.baseMs + (timeouts.perMiBMs * bytes) / (1024 * 1024);
  return Math.min(Math.ceil(scaled), Math.max(timeouts.maxMs, timeouts.baseMs));
}

/** The Admin API operations the sender needs; `AdminClient` implements them over HTTP. */
export interface KongAdminApi {
  /** Display URL: origin and path prefix, never credentials. */
  readonly url: string;
  /** Every call takes an optional signal that abandons the request (the caller is shutting down). */
  root(signal?: AbortSignal): Promise<ReadOutcome<RootInfo>>;
  status(signal?: AbortSignal): Promise<ReadOutcome<StatusInfo>>;
  config(signal?: AbortSignal): Promise<ReadOutcome<ConfigDump>>;
  postConfig(config: EncodedConfig, signal?: AbortSignal): Promise<PushOutcome>;
  close(): Promise<void>;
}

interface Request {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: EncodedConfig;
  readonly signal?: AbortSignal | undefined;
}

/** One Kong node's Admin API. Secrets live only in private fields, so logging the client leaks nothing. */
export class AdminClient implements KongAdminApi {
  readonly url: string;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #headers: Record<string, string>;
  readonly #timeouts: AdminTimeouts;
  readonly #clock: Clock;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  #closed = false;

  constructor(options: AdminClientOptions) {
    const parsed = new URL(options.url);
    this.#origin = parsed.origin;
    this.#prefix = pathPrefix(parsed);
    this.url = `${this.#origin}${this.#prefix}`;
    this.#headers = buildHeaders(options, parsed, this.url);
    this.#timeouts = { ...DEFAULT_ADMIN_TIMEOUTS, ...options.timeouts };
    this.#clock = options.clock;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? createAgent(options.tls);
  }

  async root(signal?: AbortSignal): Promise<ReadOutcome<RootInfo>> {
    return this.#read("/", rootInfoSchema, signal);
  }

  async status(signal?: AbortSignal): Promise<ReadOutcome<StatusInfo>> {
    return this.#read("/status", statusInfoSchema, signal);
  }

  async config(signal?: AbortSignal): Promise<ReadOutcome<ConfigDump>> {
    return this.#read("/config", configDumpSchema, signal);
  }

  /** `POST /config?check_hash=1&flatten_errors=1` with the encoded config. */
  async postConfig(config: EncodedConfig, signal?: AbortSignal): Promise<PushOutcome> {
    const exchange = await this.#exchange({
      method: "POST",
      path: "/config?check_hash=1&flatten_errors=1",
      body: config,
      signal,
    });
    return classifyPush(exchange, { url: this.url, nowMs: this.#clock.now(), bytes: config.bytes });
  }

  /** Closes the client's own connection pool; idempotent. An injected dispatcher stays open. */
  async close(): Promise<void> {
    if (!this.#ownsDispatcher || this.#closed) return;
    this.#closed = true;
    await this.#dispatcher.close();
  }

  async #read<T>(
    path: string,
    schema: ZodType<T>,
    signal: AbortSignal | undefined,
  ): Promise<ReadOutcome<T>> {
    const exchange = await this.#exchange({ method: "GET", path, signal });
    return classifyRead(exchange, schema, { url: this.url, nowMs: this.#clock.now() });
  }

  async #exchange(request: Request): Promise<Exchange> {
    const timeoutMs = requestTimeoutMs(request.body?.bytes ?? 0, this.#timeouts);
    // The deadline runs on the injected clock so tests can expire it without waiting.
    const deadline = deadlineAfter(
      this.#clock,
      timeoutMs,
      () => new Error(`no answer within ${timeoutMs} ms`),
    );
    const signal =
      request.signal === undefined
        ? deadline.signal
        : AbortSignal.any([deadline.signal, request.signal]);
    try {
      return await this.#send(request, { signal, deadline: deadline.signal }, timeoutMs);
    } finally {
      deadline.cancel();
    }
  }

  async #send(
    request: Request,
    signals: { signal: AbortSignal; deadline: AbortSignal },
    timeoutMs: number,
  ): Promise<Exchange> {
    const { signal } = signals;
    const { body } = request;
    const headers =
      body === undefined
        ? this.#headers
        : {
            ...this.#headers,
            "content-type": body.contentType,
            // Chunks are streamed; with their length known Kong gets a plain, not a chunked, body.
            ...(body.chunks === undefined ? {} : { "content-length": String(body.bytes) }),
          };
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: this.#origin,
        path: `${this.#prefix}${request.path}`,
        method: request.method,
        headers,
        body: requestBody(body),
        signal,
        // undici's own timers are a backstop; the deadline above is the one that normally fires.
        headersTimeout: timeoutMs + 1000,
        bodyTimeout: timeoutMs + 1000,
      });
    } catch (error) {
      return { kind: "failed", error, timedOut: signals.deadline.aborted };
    }
    const { statusCode: status, headers: responseHeaders } = response;
    try {
      // A successful push echoes every entity; we never read that echo.
      const discard = request.method === "POST" && status >= 200 && status < 300;
      const body = discard ? "" : await response.body.text();
      if (discard) await response.body.dump().catch(() => undefined);
      return { kind: "answer", status, headers: responseHeaders, body };
    } catch (error) {
      return { kind: "bodyFailed", status, headers: responseHeaders, error };
    }
  }
}

/**
 * The encoder's UTF-8 chunks when it has them (a string body would be joined and encoded again). undici
 * sends any iterable of chunks (its Request takes "an iterable, or an async iterable"), although its
 * type names only a single buffer or stream.
 */
function requestBody(body: EncodedConfig | undefined): RequestBody {
  if (body === undefined) return null;
  if (body.chunks === undefined) return body.body;
  return body.chunks as unknown as RequestBody;
}

type RequestBody = Exclude<Dispatcher.DispatchOptions["body"], undefined>;

/**
 * One client per Admin API (`--kong-admin-url` is repeatable), all with the same settings. URLs that name
 * the same display URL (a trailing slash, other credentials) are one node: the sender keys nodes by it.
 */
export function createAdminClients(
  options: Omit<AdminClientOptions, "url"> & { readonly urls: readonly string[] },
): AdminClient[] {
  const { urls, ...common } = options;
  const byDisplayUrl = new Map<string, string>();
  for (const url of urls) {
    const parsed = new URL(url);
    const key = `${parsed.origin}${pathPrefix(parsed)}`;
    if (!byDisplayUrl.has(key)) byDisplayUrl.set(key, url);
  }
  return [...byDisplayUrl.values()].map(url => new AdminClient({ ...common, url }));
}

function pathPrefix(url: URL): string {
  return url.pathname.replace(/\/+$/, "");
}

function buildHeaders(
  options: AdminClientOptions,
  url: URL,
  displayUrl: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": options.userAgent ?? "kongress",
  };
  if (url.username !== "" || url.password !== "") {
    const user = decodeUserinfo(url.username, displayUrl);
    const password = decodeUserinfo(url.password, displayUrl);
    headers["authorization"] = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  for (const { name, value } of options.headers ?? []) headers[name.toLowerCase()] = value;
  if (options.token !== undefined && headers["kong-admin-token"] === undefined) {
    headers["kong-admin-token"] = options.token;
  }
  return headers;
}

/**
 * A URL parser keeps a malformed escape such as `%zz` in the userinfo as it is, so the URL passes config
 * validation; decoding it must end as a clear setting error at start-up, not as a bare URIError.
 */
function decodeUserinfo(part: string, displayUrl: string): string {
  try {
    return decodeURIComponent(part);
  } catch (error) {
    // The display URL carries no userinfo, so the credentials never reach a log.
    throw new ConfigInvalidError(
      `Kong Admin API URL ${displayUrl}: its user info has a malformed percent-escape`,
      { cause: error },
    );
  }
}

function createAgent(tls: AdminTlsOptions | undefined): Agent {
  return new Agent({
    // One push and a status poll can overlap; more connections would only queue on Kong's load lock.
    connections: 2,
    // undici closes an idle connection after 4 s by default: shorter than the 10 s status poll, so each
    // poll would open a new connection (a TLS handshake with an https Admin API). Kong's own keep-alive
    // (`nginx_http_keepalive_timeout`) is 60 s; staying well under it avoids reusing a socket Kong is
    // closing.
    keepAliveTimeout: 30_000,
    connect: {
      ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls?.key === undefined ? {} : { key: tls.key }),
      ...(tls?.serverName === undefined ? {} : { servername: tls.serverName }),
      rejectUnauthorized: tls?.skipVerify !== true,
    },
  });
}
