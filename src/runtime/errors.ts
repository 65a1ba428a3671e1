/** Why a running controller gave up. Only start-up conditions with a configured deadline end it. */
import { ControllerError } from "../errors.ts";

/** The watchers did not finish their first list within --cache-sync-timeout. */
export class CacheSyncTimeoutError extends ControllerError {
  constructor(timeoutMs: number, pending: readonly string[]) {
    super(
      "ERR_CACHE_SYNC_TIMEOUT",
      `the first list of ${pending.join(", ")} did not complete within ${timeoutMs} ms`,
    );
  }
}

/** No Kong Admin API answered within --kong-admin-init-retries × --kong-admin-init-retry-delay. */
export class KongNeverReachedError extends ControllerError {
  constructor(waitedMs: number, urls: readonly string[]) {
    super(
      "ERR_KONG_NEVER_REACHED",
      `no Kong Admin API answered within ${waitedMs} ms (${urls.join(", ")})`,
    );
  }
}
