/**
 * The one place where an Admin API exchange (an answer, or the lack of one) becomes a meaning
 * (STYLE.md rule 7, kong-admin-api.md §3.2). The client hands every exchange here; the sender only ever
 * sees the classified result.
 */
import type { ZodType } from "zod";
import { parseFlattenedErrors } from "./flattened-errors.ts";
import {
  KongBusyError,
  KongConfigTooLargeError,
  KongHttpError,
  KongRejectedError,
  KongUnexpectedResponseError,
  KongUnreachableError,
  type KongClientError,
  type UnreachableReason,
} from "./errors.ts";
import { errorBodySchema } from "./responses.ts";

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** What one HTTP request produced, before any interpretation. */
export type Exchange =
  | {
      readonly kind: "answer";
      readonly status: number;
      readonly headers: Headers;
      readonly body: string;
    }
  /** Status and headers arrived, the body did not (connection closed early, body timeout). */
  | {
      readonly kind: "bodyFailed";
      readonly status: number;
      readonly headers: Headers;
      readonly error: unknown;
    }
  /** No answer at all. `timedOut` is set when our own deadline aborted the request. */
  | { readonly kind: "failed"; readonly error: unknown; readonly timedOut: boolean };

export interface ClassifyContext {
  /** The display URL (never with credentials). */
  readonly url: string;
  /** Current time, for `Retry-After` given as an HTTP date. */
  readonly nowMs: number;
}

export interface PushContext extends ClassifyContext {
  /** Size of the posted body, for the 413 message. */
  readonly bytes: number;
}

/** The meaning of a `POST /config` exchange. Every non-success carries its typed error. */
export type PushOutcome =
  | { readonly kind: "applied"; readonly status: number }
  | { readonly kind: "unchanged" }
  | { readonly kind: "rejected"; readonly error: KongRejectedError }
  | { readonly kind: "busy"; readonly error: KongBusyError }
  | { readonly kind: "tooLarge"; readonly error: KongConfigTooLargeError }
  | { readonly kind: "unreachable"; readonly error: KongUnreachableError }
  | { readonly kind: "unexpectedBody"; readonly error: KongUnexpectedResponseError }
  | { readonly kind: "httpError"; readonly error: KongHttpError };

/** The meaning of a read (`GET /`, `/status`, `/config`). */
export type ReadOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: KongClientError };

const BUSY_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);
/** Kong caps `Retry-After` at 10 s (§8); anything far beyond that is a proxy's, and capped by the caller. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Classifies the answer to `POST /config?check_hash=1&flatten_errors=1`. */
export function classifyPush(exchange: Exchange, ctx: PushContext): PushOutcome {
  if (exchange.kind === "failed") return { kind: "unreachable", error: unreachable(exchange, ctx) };
  const { status } = exchange;
  // The 201 body only echoes the entities; a success whose body got cut off is still a success
  // (the sender confirms it through GET /status).
  if (status >= 200 && status < 300) return { kind: "applied", status };
  if (status === 304) return { kind: "unchanged" };
  if (BUSY_STATUSES.has(status)) return { kind: "busy", error: busy(exchange, ctx) };
  if (exchange.kind === "bodyFailed") {
    return { kind: "unexpectedBody", error: truncated(exchange, ctx) };
  }
  if (status === 413) {
    const detail = errorMessage(exchange.body) ?? describeBody(exchange.body);
    return { kind: "tooLarge", error: new KongConfigTooLargeError(ctx.url, ctx.bytes, detail) };
  }
  if (status === 400) return rejected(exchange.body, ctx);
  return { kind: "httpError", error: httpError(exchange, ctx) };
}

/** Classifies the answer to a GET whose 2xx body must match `schema`. */
export function classifyRead<T>(
  exchange: Exchange,
  schema: ZodType<T>,
  ctx: ClassifyContext,
): ReadOutcome<T> {
  if (exchange.kind === "failed") return { ok: false, error: unreachable(exchange, ctx) };
  if (BUSY_STATUSES.has(exchange.status)) return { ok: false, error: busy(exchange, ctx) };
  if (exchange.kind === "bodyFailed") return { ok: false, error: truncated(exchange, ctx) };
  if (exchange.status < 200 || exchange.status >= 300) {
    return { ok: false, error: httpError(exchange, ctx) };
  }
  const json = parseJson(exchange.body);
  if (!json.ok) {
    const detail = describeBody(exchange.body);
    return { ok: false, error: new KongUnexpectedResponseError(ctx.url, exchange.status, detail) };
  }
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    const detail = `body does not match the expected shape (${issuePaths(parsed.error.issues)})`;
    return {
      ok: false,
      error: new KongUnexpectedResponseError(ctx.url, exchange.status, detail),
    };
  }
  return { ok: true, value: parsed.data };
}

function rejected(body: string, ctx: PushContext): PushOutcome {
  const json = parseJson(body);
  const parsed = json.ok ? errorBodySchema.safeParse(json.value) : undefined;
  if (parsed?.success !== true) {
    // Not Kong's JSON: e.g. nginx's HTML 400 when the Admin API demands a client certificate.
    const detail = parsed === undefined ? describeBody(body) : "400 body is not Kong's error shape";
    return { kind: "unexpectedBody", error: new KongUnexpectedResponseError(ctx.url, 400, detail) };
  }
  const failures = parseFlattenedErrors(parsed.data);
  const message = parsed.data.message ?? parsed.data.name ?? "invalid declarative configuration";
  return { kind: "rejected", error: new KongRejectedError(ctx.url, message, failures) };
}

function busy(exchange: { status: number; headers: Headers }, ctx: ClassifyContext): KongBusyError {
  const retryAfter = parseRetryAfter(header(exchange.headers, "retry-after"), ctx.nowMs);
  return new KongBusyError(ctx.url, exchange.status, retryAfter);
}

function truncated(
  exchange: Extract<Exchange, { kind: "bodyFailed" }>,
  ctx: ClassifyContext,
): KongUnexpectedResponseError {
  return new KongUnexpectedResponseError(ctx.url, exchange.status, "truncated body", {
    cause: exchange.error,
  });
}

function httpError(
  exchange: Extract<Exchange, { kind: "answer" | "bodyFailed" }>,
  ctx: ClassifyContext,
): KongHttpError {
  const body = exchange.kind === "answer" ? exchange.body : "";
  return new KongHttpError(ctx.url, exchange.status, errorMessage(body) ?? describeBody(body));
}

function unreachable(
  exchange: Extract<Exchange, { kind: "failed" }>,
  ctx: ClassifyContext,
): KongUnreachableError {
  const reason = exchange.timedOut ? "timeout" : unreachableReason(exchange.error);
  return new KongUnreachableError(ctx.url, reason, { cause: exchange.error });
}

const REASON_BY_CODE: Readonly<Record<string, UnreachableReason>> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  UND_ERR_SOCKET: "reset",
  UND_ERR_CLOSED: "reset",
  ETIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
};

/** Maps a transport error (undici's or the system's, possibly wrapped in `cause`) to a reason. */
export function unreachableReason(error: unknown): UnreachableReason {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      const reason = REASON_BY_CODE[code];
      if (reason !== undefined) return reason;
      if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)) return "tls";
    }
    current = current.cause;
  }
  return "other";
}

/**
 * `Retry-After` in milliseconds: delta seconds (Kong may send a fraction such as `3.456`) or an HTTP date.
 * Undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text))
    return Math.min(Math.ceil(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), MAX_RETRY_AFTER_MS);
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

/** Kong's `{"message": …}`, when the body is JSON and has one. */
function errorMessage(body: string): string | undefined {
  const json = parseJson(body);
  if (!json.ok) return undefined;
  const parsed = errorBodySchema.safeParse(json.value);
  return parsed.success ? parsed.data.message : undefined;
}

/**
 * A short, safe description of a body that is not what was expected. JSON-looking bodies are described,
 * never quoted: Kong echoes submitted entities (certificate keys included) in error bodies.
 */
export function describeBody(body: string): string {
  const text = body.trim();
  if (text === "") return "empty body";
  if (text.startsWith("<")) {
    const title = /<title>([^<]{0,120})<\/title>/i.exec(text)?.[1]?.trim();
    return title === undefined ? "HTML page" : `HTML page "${title}"`;
  }
  if (text.startsWith("{") || text.startsWith("[")) {
    return parseJson(text).ok
      ? `JSON of an unexpected shape (${text.length} bytes)`
      : `malformed or truncated JSON (${text.length} bytes)`;
  }
  const printable = text.slice(0, 60).replace(/[^\x20-\x7e]/g, "?");
  return `not JSON: "${printable}${text.length > 60 ? "…" : ""}"`;
}

function issuePaths(issues: readonly { path: readonly PropertyKey[] }[]): string {
  const paths = issues.map(i => (i.path.length === 0 ? "(root)" : i.path.map(String).join(".")));
  return [...new Set(paths)].slice(0, 5).join(", ");
}
