/**
 * Run as its own process: starts the stop watchdog with a short grace, then does what argv[2] says:
 * `spin` (the main thread never returns to its event loop), `linger` (the main thread runs, but a
 * handle keeps the process alive) or `exit` (the process ends by itself at once).
 */
import { startStopWatchdog } from "../../src/cli/stop-watchdog.ts";

const mode = process.argv[2];
startStopWatchdog({ graceMs: 300, marginMs: 700 });
if (mode === "spin") {
  for (;;) {
    // A main thread that never yields, as Node's http2 session did in native code.
  }
} else if (mode === "linger") {
  setInterval(() => undefined, 1_000);
} else if (mode !== "exit") {
  throw new Error(`unknown mode ${String(mode)}`);
}
