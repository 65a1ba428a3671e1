/**
 * Retry timing for pushes: capped exponential backoff with jitter, honouring `Retry-After`. p-retry runs
 * the loop (attempt counting, abort); the waits go through the injected clock, so tests drive them with a
 * manual clock: p-retry's own timer is disabled (`minTimeout: 0`) and we sleep in `onFailedAttempt`.
 */
import pRetry from "p-retry";
import type { Clock } from "../util/clock.ts";

export interface BackoffOptions {
  /** Delay after the first failure. */
  readonly initialMs: number;
  /** Cap: once Kong is back, it gets the newest config within at most this long. */
  readonly maxMs: number;
  readonly factor: number;
  /** Fraction of each delay that is randomised (0 = none, 1 = anywhere between 0 and the delay). */
  readonly jitter: number;
  /** Longest `Retry-After` we accept; Kong itself never asks for more than 10 s. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  maxRetryAfterMs: 60_000,
});

/**
 * The wait after failed attempt `attempt` (1-based). Jitter only shortens the delay, so `maxMs` is a
 * true bound.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const exponential = options.initialMs * Math.pow(options.factor, Math.max(0, attempt - 1));
  const capped = Math.min(options.maxMs, exponential);
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(capped * (1 - jitter * random()));
}

/**
 * The wait after a failure that may carry `retryAfterMs`: Kong's wish when it has one (never less than
 * the first backoff step, so `Retry-After: 0` cannot cause a tight loop), the backoff otherwise.
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const retryAfterMs = retryAfterOf(error);
  if (retryAfterMs === undefined) return backoffDelayMs(attempt, options, random);
  const floor = backoffDelayMs(1, options, random);
  return Math.min(Math.max(retryAfterMs, floor), options.maxRetryAfterMs);
}

function retryAfterOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object" || !("retryAfterMs" in error)) return undefined;
  const value = error.retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export interface RetryOptions {
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** Called before each wait. */
  readonly onRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
}

/**
 * Runs `operation` until it succeeds or `signal` aborts, waiting between attempts. Every error is
 * retried: a push that cannot succeed (rejected, too large) is not an error of `operation`, which decides
 * that itself and returns.
 */
export async function retryWithBackoff<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  return pRetry(operation, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 0,
    signal: options.signal,
    onFailedAttempt: async ({ error, attemptNumber }) => {
      const delayMs = retryDelayMs(error, attemptNumber, options.backoff, options.random);
      options.onRetry?.({ error, attempt: attemptNumber, delayMs });
      await options.clock.sleep(delayMs, options.signal);
    },
  });
}
