import { ControllerError } from "../errors.ts";

/** The API server answered with a non-2xx status (or a watch `ERROR` event carrying one). */
export class KubeApiError extends ControllerError {
  /** HTTP status, e.g. 403, 404, 410. */
  readonly statusCode: number;
  /** The `reason` of the returned `Status`, e.g. `Expired`, `Forbidden`; empty when there was none. */
  readonly reason: string;

  constructor(
    statusCode: number,
    details: { reason: string; message: string },
    options?: { cause?: unknown },
  ) {
    super("ERR_KUBE_API", details.message, options);
    this.statusCode = statusCode;
    this.reason = details.reason;
  }
}

/** The API server could not be reached, or the connection broke before an answer was complete. */
export class KubeUnreachableError extends ControllerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_KUBE_UNREACHABLE", message, options);
  }
}

/** A watch went quiet for longer than the inactivity limit, so it was presumed dead and cut. */
export class KubeWatchStalledError extends ControllerError {
  constructor(message: string) {
    super("ERR_KUBE_WATCH_STALLED", message);
  }
}

/** 410 Gone: the resourceVersion (or continue token) is too old; only a fresh list helps. */
export function isGone(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 410;
}

/** The API server sent something that is not the JSON it should have. */
export class KubeProtocolError extends ControllerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_KUBE_PROTOCOL", message, options);
  }
}

/**
 * No usable credentials: the kubeconfig is missing, unreadable or incomplete, or no source of
 * credentials exists at all. Raised at start-up, before anything is watched.
 */
export class KubeConfigError extends ControllerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_KUBECONFIG", message, options);
  }
}
