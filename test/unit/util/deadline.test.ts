/** The shared request deadline, on the manual clock: when it fires, with what, and that cancel stops it. */
import { describe, expect, it } from "vitest";
import { deadlineAfter } from "../../../src/util/deadline.ts";
import { ManualClock } from "../../support/manual-clock.ts";

describe("deadlineAfter", () => {
  it.each([
    { name: "not yet passed", advanceMs: 999, cancelFirst: false, aborted: false, built: 0 },
    { name: "passed", advanceMs: 1000, cancelFirst: false, aborted: true, built: 1 },
    {
      name: "cancelled before it passes",
      advanceMs: 5000,
      cancelFirst: true,
      aborted: false,
      built: 0,
    },
  ])("$name", async ({ advanceMs, cancelFirst, aborted, built }) => {
    const clock = new ManualClock(0);
    let reasons = 0;
    const reason = new Error("no answer within 1000 ms");
    const deadline = deadlineAfter(clock, 1000, () => {
      reasons++;
      return reason;
    });
    if (cancelFirst) deadline.cancel();
    await clock.advance(advanceMs);
    expect(deadline.signal.aborted).toBe(aborted);
    if (aborted) expect(deadline.signal.reason).toBe(reason);
    // The reason is built only when the deadline passes.
    expect(reasons).toBe(built);
    deadline.cancel();
  });
});
