/**
 * The last word on a stop, from a thread of its own. The CLI's stop grace is a timer on the main
 * thread: it cannot fire while that thread is stuck (native code spinning, a blocking call), and a
 * stop that finished can still leave the process running on a handle nobody closed. This watchdog
 * runs in a worker thread started when the stop begins; if the process is still alive its grace plus
 * a margin later, it writes one line to stderr and ends the process with SIGKILL, which works
 * whatever the main thread does. The process then exits with status 137 (128 + SIGKILL).
 */
import { writeSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Clock } from "../util/clock.ts";

/** How long after the grace the watchdog waits: the main thread's own grace exit goes first. */
export const WATCHDOG_MARGIN_MS = 5_000;
/** How often the main thread tells the watchdog it still runs, for the line the watchdog writes. */
const BEAT_MS = 250;

/** What the main thread passes as `workerData`. */
export interface StopWatchdogData {
  readonly graceMs: number;
  readonly marginMs: number;
  /** One Int32: milliseconds from the stop's start to the main thread's latest beat. */
  readonly beat: SharedArrayBuffer;
}

export interface StopWatchdogOptions {
  readonly graceMs: number;
  readonly marginMs?: number;
}

export interface OverrunOptions {
  readonly clock: Clock;
  readonly graceMs: number;
  readonly marginMs: number;
  /** Milliseconds from the start to the main thread's latest sign of life. */
  readonly lastBeat: () => number;
  /** Writes the line and ends the process. */
  readonly end: (line: string) => void;
}

/** The line the watchdog leaves: how long the stop ran and whether the main thread still answered. */
export function overrunLine(o: {
  readonly graceMs: number;
  readonly elapsedMs: number;
  readonly mainSilentMs: number;
}): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const main =
    o.mainSilentMs > 2 * BEAT_MS
      ? `its main thread has not run for ${s(o.mainSilentMs)}`
      : "its main thread runs but the process did not exit";
  return `kongress run: the stop overran its ${s(o.graceMs)} grace (${s(o.elapsedMs)} since it began; ${main}); ending the process with SIGKILL (exit status 137)\n`;
}

/**
 * Waits out the grace and the margin from now, then ends the process. Only the process's own exit
 * (which ends this thread with it) stops it: by then nothing is left to wait for.
 */
export async function watchForOverrun(o: OverrunOptions): Promise<void> {
  const began = o.clock.now();
  await o.clock.sleep(o.graceMs + o.marginMs);
  const elapsedMs = o.clock.now() - began;
  o.end(overrunLine({ graceMs: o.graceMs, elapsedMs, mainSilentMs: elapsedMs - o.lastBeat() }));
}

// The sibling file of this one: .ts from the sources, .js in the image.
const WORKER_URL = new URL(
  `./stop-watchdog-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

/**
 * Starts the watchdog thread for a stop that begins now. Neither the thread nor the main thread's
 * beat keeps the process alive: a stop that ends in time lets the process exit as it would have.
 */
export function startStopWatchdog(opts: StopWatchdogOptions): void {
  const beat = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const beats = new Int32Array(beat);
  const began = performance.now();
  setInterval(() => {
    Atomics.store(beats, 0, Math.round(performance.now() - began));
  }, BEAT_MS).unref();
  const data: StopWatchdogData = {
    graceMs: opts.graceMs,
    marginMs: opts.marginMs ?? WATCHDOG_MARGIN_MS,
    beat,
  };
  const worker = new Worker(WORKER_URL, { workerData: data });
  // A watchdog that cannot start must not end a stop that goes well (the grace timer still stands),
  // but it says so: a layout that lost the worker's file would otherwise go unnoticed.
  worker.on("error", (err: Error) => {
    writeSync(2, `kongress run: the stop watchdog could not run: ${err.message}\n`);
  });
  worker.unref();
}
