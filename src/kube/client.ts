/**
 * The HTTP client of the API server, on undici directly: one Agent (a connection pool per API server)
 * with the kubeconfig's TLS settings, authentication headers per request (credentials.ts), a deadline
 * per request, and `close()` aborting everything in flight. Bodies are plain JSON both ways.
 */
import diagnostics from "node:diagnostics_channel";
import type { EventEmitter } from "node:events";
import { constants as http2 } from "node:http2";
import { Agent, type Dispatcher } from "undici";
import { systemClock, type Clock } from "../util/clock.ts";
import { deadlineAfter, type Deadline } from "../util/deadline.ts";
import { createAuthenticator, type Authenticator } from "./credentials.ts";
import {
  KubeApiError,
  KubeConfigError,
  KubeProtocolError,
  KubeUnreachableError,
} from "./errors.ts";
import { resolveClusterAccess, type ClusterAccess } from "./kubeconfig.ts";

export type Query = Readonly<Record<string, string>>;

export interface RequestOptions {
  readonly query?: Query;
  /** Aborting rejects the request (or ends the watch) with the signal's reason. */
  readonly signal: AbortSignal;
  /** The Accept header; `application/json` when unset. */
  readonly accept?: string;
}

export type WriteMethod = "POST" | "PUT" | "PATCH" | "DELETE";

/** A JSON document with what identifies its version, or word that the version held is current. */
export type KubeDocument =
  | { readonly notModified: true }
  | {
      readonly notModified: false;
      readonly body: unknown;
      /** The `ETag` it came with, to send back as `If-None-Match`. */
      readonly etag: string | undefined;
      readonly contentType: string;
    };

/** Raw JSON access to the API server. */
export interface KubeApi {
  /** GETs a JSON document. Rejects with KubeApiError (non-2xx) or KubeUnreachableError. */
  getJson(path: string, opts: RequestOptions): Promise<unknown>;
  /**
   * GETs a JSON document like getJson, with `If-None-Match: etag` when an entity tag is given: a
   * document still at that version answers 304, `{ notModified: true }`, with no body to read.
   * Rejects like getJson, and with KubeProtocolError when a 2xx body is not JSON.
   */
  getDocument(
    path: string,
    opts: RequestOptions & { readonly etag?: string | undefined },
  ): Promise<KubeDocument>;
  /**
   * Opens a watch (`?watch=true` is added) and resolves once the server accepted it. The iterable yields
   * each event as parsed JSON and ends when the server closes the stream cleanly; a broken stream
   * throws KubeUnreachableError.
   */
  watch(path: string, opts: RequestOptions): Promise<AsyncIterable<unknown>>;
  /**
   * Sends a write with a JSON body (or none); resolves with the parsed JSON response (undefined when
   * empty). Rejects with KubeApiError (non-2xx, statusCode set) or KubeUnreachableError, like getJson.
   */
  send(
    method: WriteMethod,
    path: string,
    opts: RequestOptions & { readonly body?: unknown; readonly contentType?: string },
  ): Promise<unknown>;
  /** Aborts requests and watches in flight and releases pooled connections. */
  close(): Promise<void>;
}

/** The API server's health endpoints, which answer in plain text rather than JSON. */
export interface KubeHealthApi {
  /**
   * GETs a health endpoint such as `/readyz` and resolves with the HTTP status (the body is read and
   * dropped). Rejects with KubeUnreachableError when no answer arrives.
   */
  healthStatus(path: string, opts: RequestOptions): Promise<number>;
}

export interface KubeClientOptions {
  /** `--kubeconfig`; without it `$KUBECONFIG`, the in-cluster service account, then ~/.kube/config. */
  readonly kubeconfig?: string | undefined;
  /** Overrides the server URL of the kubeconfig (or in-cluster) cluster. */
  readonly apiserverHost?: string | undefined;
  /** Where KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT and HOME are read; none when unset. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Limit for one non-watch request, and for a watch to be accepted. */
  readonly requestTimeoutMs?: number;
  /** Runs the request deadlines and the token-file refresh. */
  readonly clock?: Clock;
  /** Tests inject undici's MockAgent; without one the client owns an Agent built from the TLS settings. */
  readonly dispatcher?: Dispatcher;
  /** Tests point the in-cluster lookup elsewhere. */
  readonly serviceAccountDir?: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const { NGHTTP2_NO_ERROR: NO_ERROR, NGHTTP2_CANCEL: CANCEL } = http2;
const JSON_TYPE = "application/json";

/** Finds the credentials (throwing KubeConfigError when there are none) and builds a KubeApi. */
export function createKubeApi(opts: KubeClientOptions): KubeApi {
  return createUndiciKubeApi(opts);
}

function createUndiciKubeApi(opts: KubeClientOptions): UndiciKubeApi {
  const access = resolveClusterAccess({
    kubeconfig: opts.kubeconfig,
    env: opts.env ?? {},
    ...(opts.serviceAccountDir === undefined ? {} : { serviceAccountDir: opts.serviceAccountDir }),
  });
  return new UndiciKubeApi({ ...opts, access });
}

/** Everything the controller talks to the API server with. */
export interface KubeClients {
  readonly api: KubeApi;
  /** The same connections, for probing whether the API server is back after an outage. */
  readonly health: KubeHealthApi;
  /** Aborts requests in flight and releases every pooled connection. */
  close(): Promise<void>;
}

/** Builds {@link KubeClients}; `apiserverHost` and the request timeout apply to all of them. */
export function createKubeClients(opts: KubeClientOptions): KubeClients {
  const api = createUndiciKubeApi(opts);
  return { api, health: api, close: () => api.close() };
}

class UndiciKubeApi implements KubeApi, KubeHealthApi {
  readonly #origin: string;
  readonly #prefix: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #auth: Authenticator;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #closed = new AbortController();

  constructor(opts: KubeClientOptions & { access: ClusterAccess }) {
    const url = new URL(opts.apiserverHost ?? opts.access.server);
    this.#origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, "");
    this.#ownsDispatcher = opts.dispatcher === undefined;
    this.#dispatcher = opts.dispatcher ?? agentFor(opts.access);
    this.#clock = opts.clock ?? systemClock;
    this.#auth = createAuthenticator(opts.access.credentials, { clock: this.#clock });
    this.#timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (this.#ownsDispatcher) diagnostics.subscribe(STREAM_CREATED, guardStream);
  }

  async getJson(path: string, opts: RequestOptions): Promise<unknown> {
    return this.#withDeadline(opts.signal, async signal => {
      const res = await this.#request("GET", path, { ...opts, signal });
      const text = await guard(res.body.text(), signal, "reading a response");
      if (!isSuccess(res.statusCode)) throw apiError(res.statusCode, text);
      return parseJson(text, `GET ${path}`);
    });
  }

  async getDocument(
    path: string,
    opts: RequestOptions & { readonly etag?: string | undefined },
  ): Promise<KubeDocument> {
    return this.#withDeadline(opts.signal, async signal => {
      const { etag, ...rest } = opts;
      const res = await this.#request("GET", path, {
        ...rest,
        signal,
        ...(etag === undefined ? {} : { ifNoneMatch: etag }),
      });
      if (res.statusCode === 304) {
        await guard(res.body.dump(), signal, "reading a response");
        return { notModified: true };
      }
      const text = await guard(res.body.text(), signal, "reading a response");
      if (!isSuccess(res.statusCode)) throw apiError(res.statusCode, text);
      return {
        notModified: false,
        body: parseJson(text, `GET ${path}`),
        etag: headerValue(res.headers["etag"]),
        contentType: headerValue(res.headers["content-type"]) ?? "",
      };
    });
  }

  async healthStatus(path: string, opts: RequestOptions): Promise<number> {
    return this.#withDeadline(opts.signal, async signal => {
      const res = await this.#request("GET", path, { ...opts, accept: "text/plain", signal });
      await guard(res.body.dump(), signal, "reading a response");
      return res.statusCode;
    });
  }

  async send(
    method: WriteMethod,
    path: string,
    opts: RequestOptions & { readonly body?: unknown; readonly contentType?: string },
  ): Promise<unknown> {
    return this.#withDeadline(opts.signal, async signal => {
      const { body, contentType, ...rest } = opts;
      const res = await this.#request(method, path, {
        ...rest,
        signal,
        ...(body === undefined
          ? {}
          : { body: { text: JSON.stringify(body), type: contentType ?? JSON_TYPE } }),
      });
      const text = await guard(res.body.text(), signal, "reading a response");
      if (!isSuccess(res.statusCode)) throw apiError(res.statusCode, text);
      return text.trim() === "" ? undefined : parseJson(text, `${method} ${path}`);
    });
  }

  async watch(path: string, opts: RequestOptions): Promise<AsyncIterable<unknown>> {
    // The server must accept within the deadline; the stream itself may then stay quiet for minutes
    // (the reflector's watchdog, not a timer here, decides when it is dead).
    const deadline = this.#deadline();
    const signal = AbortSignal.any([opts.signal, this.#closed.signal, deadline.signal]);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#request("GET", path, {
        ...opts,
        query: { ...opts.query, watch: "true" },
        signal,
      });
    } finally {
      deadline.cancel();
    }
    if (res.statusCode !== 200) {
      const text = await guard(res.body.text(), signal, "reading a response");
      throw apiError(res.statusCode, text);
    }
    return watchEvents(res.body, signal);
  }

  async close(): Promise<void> {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort(new KubeUnreachableError("The Kubernetes client was closed"));
    if (!this.#ownsDispatcher) return;
    await this.#dispatcher.destroy();
    diagnostics.unsubscribe(STREAM_CREATED, guardStream);
  }

  /** Runs `fn` with a signal that also fires on close() and after the request deadline. */
  async #withDeadline<T>(caller: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = this.#deadline();
    try {
      return await fn(AbortSignal.any([caller, this.#closed.signal, deadline.signal]));
    } finally {
      deadline.cancel();
    }
  }

  /** A signal that fires after the request timeout, on the injected clock (tests expire it at will). */
  #deadline(): Deadline {
    return deadlineAfter(
      this.#clock,
      this.#timeoutMs,
      () => new DOMException(`no answer within ${this.#timeoutMs} ms`, "TimeoutError"),
    );
  }

  async #request(
    method: "GET" | WriteMethod,
    path: string,
    opts: RequestOptions & {
      readonly body?: { readonly text: string; readonly type: string };
      readonly ifNoneMatch?: string;
    },
  ): Promise<Dispatcher.ResponseData> {
    const { signal } = opts;
    const what = `${method} ${path}`;
    const auth = await guard(this.#auth.headers(), signal, what);
    const query = new URLSearchParams(opts.query).toString();
    return guard(
      this.#dispatcher.request({
        origin: this.#origin,
        path: `${this.#prefix}${path}${query === "" ? "" : `?${query}`}`,
        method,
        headers: {
          accept: opts.accept ?? JSON_TYPE,
          "user-agent": "kongress",
          ...auth,
          ...(opts.body === undefined ? {} : { "content-type": opts.body.type }),
          ...(opts.ifNoneMatch === undefined ? {} : { "if-none-match": opts.ifNoneMatch }),
        },
        body: opts.body?.text ?? null,
        signal,
        // Deadlines come from the signal; undici's own timers would cut a quiet watch at 300 s.
        headersTimeout: 0,
        bodyTimeout: 0,
      }),
      signal,
      what,
    );
  }
}

/** Node announces every HTTP/2 client stream here, before any of its events can fire. */
const STREAM_CREATED = "http2.client.stream.created";

/** What {@link guardStream} needs of a ClientHttp2Stream. */
type GuardedStream = Pick<EventEmitter, "on"> & {
  close(code?: number, callback?: () => void): void;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
};

const guarded = new WeakSet<object>();

/**
 * Readies every HTTP/2 stream at birth for the two ways undici's aborts go wrong on Node's http2.
 * Each client subscribes once and unsubscribes on close(); a stream is guarded once however many
 * clients are subscribed, and keeps its guard after they unsubscribe.
 */
function guardStream(message: unknown): void {
  const { stream } = message as { stream?: GuardedStream };
  if (stream === undefined || guarded.has(stream)) return;
  guarded.add(stream);
  sinkErrors(stream);
  cancelOnClose(stream);
}

/**
 * An error sink from birth. undici adds one only when it lets go of a stream; destroying the session
 * on close() can reach a stream undici is still letting go of, and an 'error' with no listener there
 * ended the process in the middle of a clean stop. Requests in flight still see their errors through
 * undici's own listeners.
 */
function sinkErrors(stream: GuardedStream): void {
  stream.on("error", ignoreStreamError);
}

function ignoreStreamError(): void {
  // The request that owned the stream, if any, was told by undici already.
}

/**
 * An aborted request's stream is reset with CANCEL at once. undici aborts with `close()` (code
 * NO_ERROR) and then destroys the stream in the same tick. For a stream whose request body is still
 * queued, NO_ERROR makes Node wait for the body to flush before it sends the RST_STREAM; the destroy
 * then forgets the stream without one, while nghttp2 still holds it with its body to send. The next
 * time the session writes, nghttp2 asks Node for that body, Node answers "0 bytes, not the end" for
 * a stream it no longer knows, and nghttp2 sends an empty DATA frame and asks again, forever: the
 * main thread spins in Http2Session::SendPendingData and no timer, signal or I/O is served again.
 * A stop, a leadership change or a request deadline that lands just after a write was handed to a
 * fresh session did exactly that. With CANCEL the reset is submitted at once and nghttp2 drops the
 * stream's body with it.
 */
function cancelOnClose(stream: GuardedStream): void {
  const close = stream.close.bind(stream);
  stream.close = (code = NO_ERROR, callback) => {
    const bodyQueued = stream.writableEnded && !stream.writableFinished;
    close(code === NO_ERROR && bodyQueued ? CANCEL : code, callback);
  };
}

function agentFor(access: ClusterAccess): Agent {
  const { tls } = access;
  return new Agent({
    connect: {
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
      ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
      rejectUnauthorized: !tls.insecureSkipVerify,
    },
  });
}

/** A response header's value; undici gives a repeated header as a list, of which the first counts. */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new KubeProtocolError(`${what} returned a body that is not JSON`, { cause: err });
  }
}

/** Maps transport failures to KubeUnreachableError, but lets a deliberate abort through as itself. */
async function guard<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw transportError(err, signal, what);
  }
}

function transportError(err: unknown, signal: AbortSignal, what: string): unknown {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    // A timeout of our own request is a failure to reach the server, not a stop.
    return reason instanceof DOMException && reason.name === "TimeoutError"
      ? new KubeUnreachableError(`${what} timed out`, { cause: reason })
      : reason;
  }
  if (err instanceof KubeApiError || err instanceof KubeProtocolError) return err;
  if (err instanceof KubeConfigError) return err;
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new KubeUnreachableError(`${what} failed: ${detail}`, { cause: err });
}

/** Turns an error body (usually a `Status`) into a KubeApiError. */
export function apiError(statusCode: number, body: string): KubeApiError {
  let reason = "";
  let message = body.trim().slice(0, 500);
  try {
    const status = JSON.parse(body) as { reason?: unknown; message?: unknown };
    if (typeof status.reason === "string") reason = status.reason;
    if (typeof status.message === "string") message = status.message;
  } catch {
    // Not a Status (e.g. a proxy's HTML page): keep the raw text.
  }
  return new KubeApiError(statusCode, { reason, message: message || `HTTP ${statusCode}` });
}

async function* watchEvents(
  stream: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator {
  try {
    for await (const line of splitLines(stream)) {
      try {
        yield JSON.parse(line) as unknown;
      } catch (err) {
        throw new KubeProtocolError("The watch stream carried a line that is not JSON", {
          cause: err,
        });
      }
    }
  } catch (err) {
    throw transportError(err, signal, "watch stream");
  }
}

/** Splits a byte stream into non-empty lines (one watch event per line). */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of chunks) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== "") yield line;
      newline = buffered.indexOf("\n");
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest !== "") yield rest;
}
