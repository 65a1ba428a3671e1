/**
 * The one module that uses @kubernetes/client-node values. It loads the KubeConfig and sends raw
 * requests through it (auth headers and TLS from client-node), returning plain JSON: the generated API
 * classes would turn timestamps into Dates and drop fields they do not know.
 */
import {
  CoreV1Api,
  createConfiguration,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  NetworkingV1Api,
  RequestContext,
  ServerConfiguration,
} from "@kubernetes/client-node";
import { KubeApiError, KubeProtocolError, KubeUnreachableError } from "./errors.ts";

export type Query = Readonly<Record<string, string>>;

export interface RequestOptions {
  readonly query?: Query;
  /** Aborting rejects the request (or ends the watch) with the signal's reason. */
  readonly signal: AbortSignal;
}

/** Raw JSON access to the API server: all the watch layer needs. */
export interface KubeApi {
  /** GETs a JSON document. Rejects with KubeApiError (non-2xx) or KubeUnreachableError. */
  getJson(path: string, opts: RequestOptions): Promise<unknown>;
  /**
   * Opens a watch (`?watch=true` is added) and resolves once the server accepted it. The iterable yields
   * each event as parsed JSON and ends when the server closes the stream cleanly; a broken stream
   * throws KubeUnreachableError.
   */
  watch(path: string, opts: RequestOptions): Promise<AsyncIterable<unknown>>;
  /**
   * Sends a write with a JSON body (`contentType` defaults to `application/json`; a PATCH names its
   * patch type there). Resolves with the parsed JSON answer (undefined if empty); rejects with
   * KubeApiError (non-2xx) or KubeUnreachableError.
   */
  send(
    method: "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts: RequestOptions & { readonly body?: unknown; readonly contentType?: string },
  ): Promise<unknown>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

export interface KubeClientOptions {
  /** A kubeconfig file; without it the in-cluster service account is used. */
  readonly kubeconfig?: string | undefined;
  /** Overrides the server URL of the kubeconfig (or in-cluster) cluster. */
  readonly apiserverHost?: string | undefined;
  /** Limit for one non-watch request. */
  readonly requestTimeoutMs?: number;
}

type Dispatcher = ReturnType<RequestContext["getDispatcher"]>;

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

function loadKubeConfig(opts: KubeClientOptions): { kc: KubeConfig; baseUrl: string } {
  const kc = new KubeConfig();
  if (opts.kubeconfig === undefined) kc.loadFromCluster();
  else kc.loadFromFile(opts.kubeconfig);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new KubeUnreachableError("The kubeconfig names no current cluster");
  return { kc, baseUrl: (opts.apiserverHost ?? cluster.server).replace(/\/+$/, "") };
}

/** Builds a KubeApi from a kubeconfig file or the in-cluster environment. */
export function createKubeApi(opts: KubeClientOptions): KubeApi {
  const { kc, baseUrl } = loadKubeConfig(opts);
  return new RawKubeApi({
    kc,
    baseUrl,
    requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
}

/**
 * Everything the controller talks to the API server with, from one KubeConfig: the raw JSON access of
 * the watch layer, and the generated API objects the status writer and the event recorder adapt
 * (src/status/kube-api.ts).
 */
export interface KubeClients {
  readonly api: KubeApi;
  readonly networking: NetworkingV1Api;
  readonly core: CoreV1Api;
  /** Aborts requests in flight and releases every pooled connection. */
  close(): Promise<void>;
}

/** Builds {@link KubeClients}; `apiserverHost` and the request timeout apply to all of them. */
export function createKubeClients(opts: KubeClientOptions): KubeClients {
  const { kc, baseUrl } = loadKubeConfig(opts);
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const api = new RawKubeApi({ kc, baseUrl, requestTimeoutMs });
  const auth = new PooledAuthentication(kc, requestTimeoutMs);
  // Not kc.makeApiClient: it ignores --apiserver-host, and its requests would get no deadline.
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(baseUrl, {}),
    authMethods: { default: auth },
  });
  return {
    api,
    networking: new NetworkingV1Api(configuration),
    core: new CoreV1Api(configuration),
    close: async () => {
      await Promise.all([api.close(), auth.close()]);
    },
  };
}

/**
 * The KubeConfig's credentials for the generated API objects, with what client-node 2.0.1 leaves out:
 * one connection pool for every request (it builds a new undici Agent per request), a deadline per
 * request, and a way to abort them all on shutdown.
 */
class PooledAuthentication {
  readonly #kc: KubeConfig;
  readonly #timeoutMs: number;
  readonly #stop = new AbortController();
  #dispatcher: Dispatcher;

  constructor(kc: KubeConfig, timeoutMs: number) {
    this.#kc = kc;
    this.#timeoutMs = timeoutMs;
  }

  getName(): string {
    return "kubeconfig authentication";
  }

  async applySecurityAuthentication(ctx: RequestContext): Promise<void> {
    this.#stop.signal.throwIfAborted();
    await this.#kc.applySecurityAuthentication(ctx);
    this.#dispatcher ??= ctx.getDispatcher();
    if (this.#dispatcher !== undefined) ctx.setDispatcher(this.#dispatcher);
    ctx.setSignal(AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#timeoutMs)]));
  }

  async close(): Promise<void> {
    this.#stop.abort(new KubeUnreachableError("The Kubernetes client was closed"));
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.close();
  }
}

class RawKubeApi implements KubeApi {
  readonly #kc: KubeConfig;
  readonly #baseUrl: string;
  readonly #requestTimeoutMs: number;
  readonly #http = new IsomorphicFetchHttpLibrary();
  // client-node 2.0.1 builds a new undici Agent for every request; reusing the first one keeps
  // connections pooled instead of leaving one idle pool behind per request.
  #dispatcher: Dispatcher;

  constructor(opts: { kc: KubeConfig; baseUrl: string; requestTimeoutMs: number }) {
    this.#kc = opts.kc;
    this.#baseUrl = opts.baseUrl;
    this.#requestTimeoutMs = opts.requestTimeoutMs;
  }

  async getJson(path: string, opts: RequestOptions): Promise<unknown> {
    const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(this.#requestTimeoutMs)]);
    const res = await this.#send(path, { ...opts, signal });
    const text = await guard(res.body.text(), signal, "reading a response");
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299)
      throw apiError(res.httpStatusCode, text);
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new KubeProtocolError(`GET ${path} returned a body that is not JSON`, { cause: err });
    }
  }

  async watch(path: string, opts: RequestOptions): Promise<AsyncIterable<unknown>> {
    const res = await this.#send(path, {
      query: { ...opts.query, watch: "true" },
      signal: opts.signal,
    });
    if (res.httpStatusCode !== 200) {
      const text = await guard(res.body.text(), opts.signal, "reading a response");
      throw apiError(res.httpStatusCode, text);
    }
    const stream = res.body.stream();
    if (stream === null) throw new KubeProtocolError(`WATCH ${path} returned no body`);
    return watchEvents(stream, opts.signal);
  }

  async send(
    method: "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts: RequestOptions & { readonly body?: unknown; readonly contentType?: string },
  ): Promise<unknown> {
    const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(this.#requestTimeoutMs)]);
    const what = `${method} ${path}`;
    const ctx = new RequestContext(`${this.#baseUrl}${path}`, HttpMethod[method]);
    for (const [key, value] of Object.entries(opts.query ?? {})) ctx.setQueryParam(key, value);
    ctx.setHeaderParam("Accept", "application/json");
    if (opts.body !== undefined) {
      ctx.setHeaderParam("Content-Type", opts.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(opts.body));
    }
    await this.#kc.applySecurityAuthentication(ctx);
    this.#dispatcher ??= ctx.getDispatcher();
    if (this.#dispatcher !== undefined) ctx.setDispatcher(this.#dispatcher);
    ctx.setSignal(signal);
    const res = await guard(this.#http.send(ctx).toPromise(), signal, what);
    const text = await guard(res.body.text(), signal, "reading a response");
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299)
      throw apiError(res.httpStatusCode, text);
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new KubeProtocolError(`${what} returned a body that is not JSON`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.close();
  }

  async #send(path: string, opts: RequestOptions) {
    const ctx = new RequestContext(`${this.#baseUrl}${path}`, HttpMethod.GET);
    for (const [key, value] of Object.entries(opts.query ?? {})) ctx.setQueryParam(key, value);
    ctx.setHeaderParam("Accept", "application/json");
    await this.#kc.applySecurityAuthentication(ctx);
    this.#dispatcher ??= ctx.getDispatcher();
    if (this.#dispatcher !== undefined) ctx.setDispatcher(this.#dispatcher);
    ctx.setSignal(opts.signal);
    return guard(this.#http.send(ctx).toPromise(), opts.signal, `GET ${path}`);
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
  stream: ReadableStream<Uint8Array>,
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
