/** Polling waits for tests that run on real time (integration and end-to-end). */
import { setTimeout as sleep } from "node:timers/promises";

export interface Waited<T> {
  readonly value: T;
  /** How long the wait took, in milliseconds. */
  readonly ms: number;
}

/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined or false, and
 * resolves with that value and the time it took; rejects naming `what` after `timeoutMs`. A probe that
 * throws counts as "not yet" (an API server that is restarting, say) and its last error is reported.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  opts: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<Waited<T>> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return { value, ms: Date.now() - started };
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why =
        lastError === undefined
          ? ""
          : ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`;
      throw new Error(
        `timed out after ${String(Date.now() - started)} ms waiting for ${what}${why}`,
      );
    }
    await sleep(opts.intervalMs ?? 25);
  }
}
