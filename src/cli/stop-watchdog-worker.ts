/**
 * The stop watchdog's thread (stop-watchdog.ts starts it). Everything here works without the main
 * thread: the write to stderr is a synchronous write to file descriptor 2 (process.stderr in a worker
 * goes through the main thread), and SIGKILL ends the whole process at once.
 */
import { writeSync } from "node:fs";
import { workerData } from "node:worker_threads";
import { systemClock } from "../util/clock.ts";
import { watchForOverrun, type StopWatchdogData } from "./stop-watchdog.ts";

const data = workerData as StopWatchdogData;
const beats = new Int32Array(data.beat);
void watchForOverrun({
  clock: systemClock,
  graceMs: data.graceMs,
  marginMs: data.marginMs,
  lastBeat: () => Atomics.load(beats, 0),
  end: line => {
    writeSync(2, line);
    process.kill(process.pid, "SIGKILL");
  },
});
