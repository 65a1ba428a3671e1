import type { Clock } from "../util/clock.ts";

export interface LoopLagMonitorOptions {
  readonly clock: Clock;
  /** How often to measure; each measurement is one timer of this length. */
  readonly intervalMs: number;
  /** Called with every measurement, e.g. to set a gauge. */
  readonly onSample?: (lagMs: number) => void;
}

/** The event loop's responsiveness as /healthz judges it. */
export interface LoopLagReading {
  /** How late the last timer fired, in milliseconds. */
  readonly lagMs: number;
  /**
   * How overdue the next measurement is, in milliseconds: 0 while timers fire on time, growing while
   * the loop is starved (the last `lagMs` cannot show a stall that is still going on).
   */
  readonly overdueMs: number;
}

export interface LoopLagMonitor {
  /** Measures until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  read(): LoopLagReading;
}

/**
 * Measures event-loop lag as the lateness of a repeating timer. A busy or blocked loop shows up both
 * as lag and as an overdue next sample, which /healthz reports while it can still answer.
 */
export function createLoopLagMonitor(opts: LoopLagMonitorOptions): LoopLagMonitor {
  let lagMs = 0;
  let lastSampleAt = opts.clock.now();
  return {
    async run(signal) {
      lastSampleAt = opts.clock.now();
      while (!signal.aborted) {
        const start = opts.clock.now();
        try {
          await opts.clock.sleep(opts.intervalMs, signal);
        } catch {
          return;
        }
        lastSampleAt = opts.clock.now();
        lagMs = Math.max(0, lastSampleAt - start - opts.intervalMs);
        opts.onSample?.(lagMs);
      }
    },
    read: () => ({
      lagMs,
      overdueMs: Math.max(0, opts.clock.now() - lastSampleAt - opts.intervalMs),
    }),
  };
}
