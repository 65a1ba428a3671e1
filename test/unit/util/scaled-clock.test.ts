import { describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/util/scaled-clock.ts";
import { ManualClock } from "../../support/manual-clock.ts";

describe("scaledClock", () => {
  it("shortens every sleep and speeds up now() by the factor, from its creation", async () => {
    const base = new ManualClock(1_000_000);
    await base.advance(500);
    const fast = scaledClock(base, 20);
    expect(fast.now()).toBe(1_000_500);
    let woke = false;
    void fast.sleep(60_000).then(() => (woke = true));
    await base.advance(2999);
    expect(woke).toBe(false);
    await base.advance(1);
    expect(woke).toBe(true);
    expect(fast.now()).toBe(1_000_500 + 60_000);
  });

  it("passes aborts through", async () => {
    const fast = scaledClock(new ManualClock(), 10);
    const stop = new AbortController();
    const sleeping = fast.sleep(1000, stop.signal);
    stop.abort(new Error("stopped"));
    await expect(sleeping).rejects.toThrow("stopped");
  });

  it("is the clock itself at factor 1", () => {
    const base = new ManualClock();
    expect(scaledClock(base, 1)).toBe(base);
  });
});
