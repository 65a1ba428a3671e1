/**
 * Errors of the Kong Admin API client. One class per way an answer can fail, each with a stable code; the
 * sender branches on `code` (or `instanceof`), never on the message. Messages name the Admin API by its
 * display URL, which never carries credentials.
 */
import { ControllerError } from "../errors.ts";
import type { EntityFailure } from "./flattened-errors.ts";

/** Why a request never got a complete HTTP answer. */
export type UnreachableReason = "refused" | "reset" | "timeout" | "tls" | "dns" | "other";

/** Connection refused or reset, TLS failure, DNS failure or timeout: Kong did not answer at all. */
export class KongUnreachableError extends ControllerError {
  readonly url: string;
  readonly reason: UnreachableReason;

  constructor(url: string, reason: UnreachableReason, options?: { cause?: unknown }) {
    super("ERR_KONG_UNREACHABLE", `Kong Admin API ${url} unreachable (${reason})`, options);
    this.url = url;
    this.reason = reason;
  }
}

/** Kong answered 400 to a config push: the config is invalid. Not retried unchanged. */
export class KongRejectedError extends ControllerError {
  readonly url: string;
  readonly failures: readonly EntityFailure[];

  constructor(url: string, message: string, failures: readonly EntityFailure[]) {
    super("ERR_KONG_REJECTED", `Kong Admin API ${url} rejected the config: ${message}`);
    this.url = url;
    this.failures = failures;
  }
}

/** 429 (another load holds the lock), 503 (exiting) or 504 (load timed out): retry later. */
export class KongBusyError extends ControllerError {
  readonly url: string;
  readonly status: number;
  /** From `Retry-After`, when Kong sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(url: string, status: number, retryAfterMs: number | undefined) {
    const after = retryAfterMs === undefined ? "" : `, retry after ${retryAfterMs} ms`;
    super("ERR_KONG_BUSY", `Kong Admin API ${url} busy (HTTP ${status}${after})`);
    this.url = url;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** 413: the body exceeds Kong's body limit or the config does not fit its store. Permanent for this config. */
export class KongConfigTooLargeError extends ControllerError {
  readonly url: string;
  readonly bytes: number;

  constructor(url: string, bytes: number, detail: string) {
    super(
      "ERR_KONG_CONFIG_TOO_LARGE",
      `Kong Admin API ${url} refused a ${bytes}-byte config as too large: ${detail}`,
    );
    this.url = url;
    this.bytes = bytes;
  }
}

/** An answer whose body is not what the contract promises: not JSON, HTML, truncated, wrong shape. */
export class KongUnexpectedResponseError extends ControllerError {
  readonly url: string;
  readonly status: number;
  readonly detail: string;

  constructor(url: string, status: number, detail: string, options?: { cause?: unknown }) {
    super(
      "ERR_KONG_UNEXPECTED_RESPONSE",
      `Kong Admin API ${url} gave an unexpected answer (HTTP ${status}): ${detail}`,
      options,
    );
    this.url = url;
    this.status = status;
    this.detail = detail;
  }
}

/** Any other non-success status: 401/403 (auth), 404, 415, 500. Retried with backoff. */
export class KongHttpError extends ControllerError {
  readonly url: string;
  readonly status: number;

  constructor(url: string, status: number, message: string) {
    super("ERR_KONG_HTTP", `Kong Admin API ${url} answered HTTP ${status}: ${message}`);
    this.url = url;
    this.status = status;
  }
}

/** Kong said it loaded the config, but `GET /status` reports another hash. */
export class KongNotAppliedError extends ControllerError {
  readonly url: string;
  readonly expectedHash: string;
  readonly actualHash: string;

  constructor(url: string, expectedHash: string, actualHash: string) {
    super(
      "ERR_KONG_NOT_APPLIED",
      `Kong Admin API ${url} accepted config ${expectedHash} but runs ${actualHash}`,
    );
    this.url = url;
    this.expectedHash = expectedHash;
    this.actualHash = actualHash;
  }
}

/** The node cannot take a declarative config from us: database mode, or a version KIC would refuse. */
export class KongUnsupportedError extends ControllerError {
  readonly url: string;

  constructor(url: string, message: string) {
    super("ERR_KONG_UNSUPPORTED", `Kong Admin API ${url}: ${message}`);
    this.url = url;
  }
}

/** Every error the Admin API client produces. */
export type KongClientError =
  | KongUnreachableError
  | KongRejectedError
  | KongBusyError
  | KongConfigTooLargeError
  | KongUnexpectedResponseError
  | KongHttpError
  | KongNotAppliedError
  | KongUnsupportedError;
