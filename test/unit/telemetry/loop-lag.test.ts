import { describe, expect, it } from "vitest";
import { createLoopLagMonitor } from "../../../src/telemetry/loop-lag.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

describe("createLoopLagMonitor", () => {
  it("reports no lag while timers fire on time, and samples each interval", async () => {
    const clock = new ManualClock();
    const samples: number[] = [];
    const monitor = createLoopLagMonitor({
      clock,
      intervalMs: 500,
      onSample: ms => samples.push(ms),
    });
    const stop = new AbortController();
    const running = monitor.run(stop.signal);
    await clock.advance(1500);
    expect(samples).toEqual([0, 0, 0]);
    expect(monitor.read()).toEqual({ lagMs: 0, overdueMs: 0 });
    stop.abort();
    await running;
  });

  it("shows a sample that is overdue while the loop is starved", async () => {
    const clock = new ManualClock();
    const monitor = createLoopLagMonitor({ clock, intervalMs: 500 });
    const stop = new AbortController();
    const running = monitor.run(stop.signal);
    await settle();
    clock.jump(2500);
    expect(monitor.read().overdueMs).toBe(2000);
    stop.abort();
    await running;
  });

  it("measures lateness of a timer that fires late", async () => {
    const clock = new ManualClock();
    const samples: number[] = [];
    const stop = new AbortController();
    // A clock whose sleeps resolve 40 ms after they are due, as a busy loop would.
    const lateClock = {
      now: () => clock.now(),
      sleep: async (ms: number, signal?: AbortSignal) => {
        await clock.sleep(ms + 40, signal);
      },
    };
    const late = createLoopLagMonitor({
      clock: lateClock,
      intervalMs: 100,
      onSample: ms => samples.push(ms),
    });
    const running = late.run(stop.signal);
    await clock.advance(140);
    expect(samples).toEqual([40]);
    expect(late.read().lagMs).toBe(40);
    stop.abort();
    await running;
  });

  it("stops when its signal aborts", async () => {
    const clock = new ManualClock();
    const monitor = createLoopLagMonitor({ clock, intervalMs: 100 });
    const stop = new AbortController();
    const running = monitor.run(stop.signal);
    await settle();
    expect(clock.pending).toBe(1);
    stop.abort();
    await running;
    expect(clock.pending).toBe(0);
  });
});
