/** The stop watchdog's decision, on the injected clock: when it ends the process, and what it says. */
import { describe, expect, it, vi } from "vitest";
import { overrunLine, watchForOverrun } from "../../../src/cli/stop-watchdog.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const GRACE_MS = 15_000;
const MARGIN_MS = 5_000;

function watched(lastBeat: () => number) {
  const clock = new ManualClock();
  const end = vi.fn();
  const done = watchForOverrun({ clock, graceMs: GRACE_MS, marginMs: MARGIN_MS, lastBeat, end });
  return { clock, end, done };
}

describe("the stop watchdog", () => {
  it("ends the process once, the grace and the margin after the stop began, and not before", async () => {
    const { clock, end, done } = watched(() => 0);
    await clock.advance(GRACE_MS + MARGIN_MS - 1);
    expect(end).not.toHaveBeenCalled();
    await clock.advance(1);
    await done;
    expect(end).toHaveBeenCalledOnce();
    await clock.advance(60_000);
    expect(end).toHaveBeenCalledOnce();
  });

  it("says the main thread has not run since its last beat when it stopped beating", async () => {
    const { clock, end, done } = watched(() => 750);
    await clock.advance(GRACE_MS + MARGIN_MS);
    await done;
    expect(end).toHaveBeenCalledExactlyOnceWith(
      "kongress run: the stop overran its 15.0 s grace (20.0 s since it began; its main thread has not run for 19.3 s); ending the process with SIGKILL (exit status 137)\n",
    );
  });

  it("says the process did not exit when the main thread still beats", async () => {
    let beat = 0;
    const { clock, end, done } = watched(() => beat);
    for (let t = 0; t < GRACE_MS + MARGIN_MS; t += 250) {
      await clock.advance(250);
      beat = t + 250;
    }
    await done;
    expect(end.mock.calls[0]?.[0]).toContain(
      "(20.0 s since it began; its main thread runs but the process did not exit)",
    );
  });
});

describe("the watchdog's line", () => {
  it("is one line on stderr naming the grace, the time since the stop began and the exit status", () => {
    const line = overrunLine({ graceMs: 15_000, elapsedMs: 20_012, mainSilentMs: 20_012 });
    expect(line).toBe(
      "kongress run: the stop overran its 15.0 s grace (20.0 s since it began; its main thread has not run for 20.0 s); ending the process with SIGKILL (exit status 137)\n",
    );
    expect(line.trimEnd()).not.toContain("\n");
  });
});
