/**
 * A clock that runs `factor` times faster than another: every sleep is that much shorter and time as
 * `now()` tells it passes that much faster, from the moment the clock is made. Tests of minutes-long
 * outages use it (`--time-scale`) so that backoffs, probes, deadlines and watchdogs run through the
 * same code as in production, only sooner.
 */
import type { Clock } from "./clock.ts";

export function scaledClock(base: Clock, factor: number): Clock {
  if (factor === 1) return base;
  const origin = base.now();
  return Object.freeze({
    now: () => origin + (base.now() - origin) * factor,
    sleep: (ms: number, signal?: AbortSignal) => base.sleep(ms / factor, signal),
  });
}
