import pino from "pino";
import { describe, expect, it } from "vitest";
import { SyncLoop } from "../../../src/pipeline/loop.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const HOLDOFF = 100;
const MAX_DELAY = 500;

/** A loop whose cycles record when they ran and the change time they carried, relative to `start`. */
function setup(cycleMs = 0) {
  const clock = new ManualClock();
  const start = clock.now();
  const runs: number[] = [];
  const carried: (number | undefined)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const loop = new SyncLoop({
    clock,
    holdoffMs: HOLDOFF,
    maxDelayMs: MAX_DELAY,
    logger: pino({ level: "silent" }),
    cycle: async (signal, firstChangeAt) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs.push(clock.now() - start);
      carried.push(firstChangeAt === undefined ? undefined : firstChangeAt - start);
      if (cycleMs > 0) await clock.sleep(cycleMs, signal).catch(() => undefined);
      inFlight--;
    },
  });
  const controller = new AbortController();
  const done = loop.run(controller.signal);
  const stop = async (): Promise<void> => {
    controller.abort();
    await done;
  };
  return { clock, loop, runs, carried, stop, maxInFlight: () => maxInFlight };
}

/** A synced loop whose sync cycle ran at 0 and that has been quiet for a while since. */
async function quietSetup(cycleMs = 0) {
  const s = setup(cycleMs);
  s.loop.markSynced();
  await s.clock.advance(cycleMs + 5000);
  s.runs.length = 0;
  s.carried.length = 0;
  return s;
}

describe("SyncLoop: sync gate", () => {
  it("runs nothing before every watcher has synced, however many changes arrive", async () => {
    const { clock, loop, runs, stop } = setup();
    for (let i = 0; i < 5; i++) {
      loop.notify();
      await clock.advance(1000);
    }
    expect(runs).toEqual([]);
    await stop();
  });

  it("runs a first cycle right after sync even when no change ever arrives (empty cluster)", async () => {
    const { clock, loop, runs, carried, stop } = setup();
    await clock.advance(50);
    loop.markSynced();
    await settle();
    expect(runs).toEqual([50]);
    // It carries the initial lists, not a change: there is no event to measure latency from.
    expect(carried).toEqual([undefined]);
    await clock.advance(5000);
    expect(runs).toEqual([50]);
    await stop();
  });

  it("carries changes made before sync in that first cycle, not in a later one", async () => {
    const { clock, loop, runs, stop } = setup();
    loop.notify();
    await clock.advance(30);
    loop.markSynced();
    await clock.advance(5000);
    expect(runs).toEqual([30]);
    await stop();
  });
});

describe("SyncLoop: leading edge", () => {
  it("runs a lone change after a quiet period with zero delay", async () => {
    const { clock, loop, runs, carried, stop } = await quietSetup();
    const at = clock.now();
    loop.notify();
    await settle();
    expect(runs).toHaveLength(1);
    expect(carried).toEqual([runs[0]]);
    expect(clock.now()).toBe(at);
    await stop();
  });

  it("runs each of several changes seconds apart at once", async () => {
    const { clock, loop, runs, carried, stop } = await quietSetup();
    for (let i = 0; i < 3; i++) {
      loop.notify();
      await settle();
      await clock.advance(2000);
    }
    expect(runs).toEqual([5000, 7000, 9000]);
    expect(carried).toEqual(runs);
    await stop();
  });

  it("counts a change exactly holdoff after the last cycle as quiet, one earlier not", async () => {
    const { clock, loop, runs, stop } = await quietSetup();
    loop.notify();
    await clock.advance(HOLDOFF);
    loop.notify();
    await settle();
    expect(runs).toEqual([5000, 5000 + HOLDOFF]);
    await clock.advance(HOLDOFF - 1);
    loop.notify();
    await settle();
    expect(runs).toHaveLength(2);
    await clock.advance(HOLDOFF);
    expect(runs).toEqual([5000, 5100, 5199 + HOLDOFF]);
    await stop();
  });

  it("measures quiet from the end of the last cycle, not its start", async () => {
    const { clock, loop, runs, stop } = await quietSetup(300);
    loop.notify();
    // The cycle runs 5300..5600; a change at 5650 is within holdoff of its end.
    await clock.advance(350);
    loop.notify();
    await settle();
    expect(runs).toEqual([5300]);
    await clock.advance(HOLDOFF);
    expect(runs).toEqual([5300, 5300 + 350 + HOLDOFF]);
    await stop();
  });
});

describe("SyncLoop: coalescing", () => {
  it("runs a burst once at its leading edge and once holdoff after its last change", async () => {
    const { clock, loop, runs, carried, stop } = await quietSetup();
    for (let i = 0; i < 3; i++) {
      loop.notify();
      await clock.advance(40);
    }
    await clock.advance(1000);
    // Changes at 5000, 5040, 5080: the first at once, the other two at 5080 + holdoff.
    expect(runs).toEqual([5000, 5180]);
    // The second cycle carries the change at 5040 as its first.
    expect(carried).toEqual([5000, 5040]);
    await stop();
  });

  it("runs continuous churn at most once per max delay", async () => {
    const { clock, loop, runs, stop } = await quietSetup();
    for (let t = 0; t < 2000; t += 50) {
      loop.notify();
      await clock.advance(50);
    }
    // Leading edge at 5000; the next change (5050) opens a batch due at 5050 + maxDelay; each later
    // batch opens with the change made as the previous cycle ends, and runs maxDelay after it.
    expect(runs).toEqual([5000, 5550, 6050, 6550]);
    const gaps = runs.slice(2).map((t, i) => t - runs[i + 1]!);
    expect(gaps.every(g => g >= MAX_DELAY)).toBe(true);
    await stop();
  });

  it("keeps one cycle in flight and runs exactly one more for changes made meanwhile", async () => {
    const { clock, loop, runs, carried, stop, maxInFlight } = await quietSetup(300);
    loop.notify();
    await clock.advance(50);
    loop.notify();
    await clock.advance(50);
    loop.notify();
    await clock.advance(2000);
    expect(maxInFlight()).toBe(1);
    // Both later changes came during the first cycle and their holdoff elapsed there: one follow-up,
    // right when it ends.
    expect(runs).toEqual([5300, 5600]);
    expect(carried).toEqual([5300, 5350]);
    await stop();
  });
});

describe("SyncLoop: failures", () => {
  it("survives a failing cycle", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const loop = new SyncLoop({
      clock,
      holdoffMs: HOLDOFF,
      maxDelayMs: MAX_DELAY,
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
