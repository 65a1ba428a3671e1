import pino from "pino";
import { describe, expect, it } from "vitest";
import { SyncLoop } from "../../../src/pipeline/loop.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

function setup(cycleMs = 0) {
  const clock = new ManualClock();
  const runs: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const loop = new SyncLoop({
    clock,
    holdoffMs: 100,
    maxDelayMs: 500,
    logger: pino({ level: "silent" }),
    cycle: async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs.push(clock.now() - start);
      if (cycleMs > 0) await clock.sleep(cycleMs);
      inFlight--;
    },
  });
  const start = clock.now();
  const controller = new AbortController();
  const done = loop.run(controller.signal);
  return { clock, loop, runs, controller, done, maxInFlight: () => maxInFlight };
}

describe("SyncLoop", () => {
  it("runs nothing before every watcher has synced, however many changes arrive", async () => {
    const { clock, loop, runs, controller, done } = setup();
    for (let i = 0; i < 5; i++) {
      loop.notify();
      await clock.advance(1000);
    }
    expect(runs).toEqual([]);
    controller.abort();
    await done;
  });

  it("runs a first cycle right after sync even when no change ever arrives (empty cluster)", async () => {
    const { clock, loop, runs, controller, done } = setup();
    await clock.advance(50);
    loop.markSynced();
    await settle();
    expect(runs).toEqual([50]);
    await clock.advance(5000);
    expect(runs).toEqual([50]);
    controller.abort();
    await done;
  });

  it("coalesces a burst into one cycle, holdoff after the last change", async () => {
    const { clock, loop, runs, controller, done } = setup();
    loop.markSynced();
    await settle();
    runs.length = 0;
    for (let i = 0; i < 3; i++) {
      loop.notify();
      await clock.advance(40);
    }
    // Changes at 0, 40, 80 → due at 80 + 100.
    await clock.advance(200);
    expect(runs).toEqual([180]);
    controller.abort();
    await done;
  });

  it("never delays more than maxDelay under continuous churn", async () => {
    const { clock, loop, runs, controller, done } = setup();
    loop.markSynced();
    await settle();
    runs.length = 0;
    for (let t = 0; t < 1200; t += 50) {
      loop.notify();
      await clock.advance(50);
    }
    expect(runs[0]).toBe(500);
    expect(runs[1]).toBe(1000);
    controller.abort();
    await done;
  });

  it("keeps one cycle in flight and runs exactly one more for changes made meanwhile", async () => {
    const { clock, loop, runs, controller, done, maxInFlight } = setup(300);
    loop.markSynced();
    await settle();
    loop.notify();
    await clock.advance(50);
    loop.notify();
    await clock.advance(50);
    await clock.advance(2000);
    expect(maxInFlight()).toBe(1);
    // Both changes came during the cycle and their holdoff elapsed there: one follow-up, right away.
    expect(runs).toEqual([0, 300]);
    controller.abort();
    await done;
  });

  it("survives a failing cycle", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const loop = new SyncLoop({
      clock,
      holdoffMs: 100,
      maxDelayMs: 500,
      logger: pino({ level: "silent" }),
      cycle: () => {
        calls++;
        return Promise.reject(new Error("boom"));
      },
    });
    const controller = new AbortController();
    const done = loop.run(controller.signal);
    loop.markSynced();
    await settle();
    loop.notify();
    await clock.advance(200);
    expect(calls).toBe(2);
    controller.abort();
    await done;
  });
});
