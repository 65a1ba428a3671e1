import type { Clock } from "./clock.ts";

/** A signal that aborts once a time limit has passed, and the means to stop its timer. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer once the work is done; the signal then never aborts. */
  cancel(): void;
}

/**
 * Stops a deadline's timer. Any reason will do, and giving one spares the `DOMException` (with its
 * stack) that a bare `abort()` builds: every API request ends by cancelling its deadline, and at idle
 * those exceptions were a tenth of the main thread's work.
 */
const CANCELLED = Symbol("deadline cancelled");

/**
 * A deadline `ms` from now on `clock`, so tests expire it by advancing their clock. `reason` is
 * built only when the deadline passes.
 */
export function deadlineAfter(clock: Clock, ms: number, reason: () => unknown): Deadline {
  const expired = new AbortController();
  const timer = new AbortController();
  void clock.sleep(ms, timer.signal).then(
    () => {
      expired.abort(reason());
    },
    () => undefined,
  );
  return {
    signal: expired.signal,
    cancel: () => {
      timer.abort(CANCELLED);
    },
  };
}
