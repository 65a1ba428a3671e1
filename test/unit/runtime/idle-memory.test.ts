/**
 * The idle memory release: V8's memory saver is turned on only after a quiet period without a sync
 * cycle, off again as soon as a cycle starts or the controller stops, never with the release turned
 * off, and a stop cancels a pending release (no timer outlives the controller).
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { IdleMemoryRelease } from "../../../src/runtime/idle-memory.ts";
import { ManualClock } from "../../support/manual-clock.ts";

function release(quietMs: number) {
  const clock = new ManualClock();
  const calls: boolean[] = [];
  const idle = new IdleMemoryRelease({
    clock,
    quietMs,
    memorySaver: on => calls.push(on),
    logger: pino({ level: "silent" }),
  });
  return { clock, calls, idle };
}

describe("IdleMemoryRelease", () => {
  it("turns the memory saver on after the quiet period, and off when the next cycle starts", async () => {
    const { clock, calls, idle } = release(30_000);
    const stop = new AbortController();
    idle.busy();
    idle.quiet(stop.signal);
    await clock.advance(29_999);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(calls).toEqual([true]);
    expect(idle.saving).toBe(true);
    idle.busy();
    expect(calls).toEqual([true, false]);
    expect(idle.saving).toBe(false);
  });

  it("counts the quiet period from the last cycle's end", async () => {
    const { clock, calls, idle } = release(30_000);
    const stop = new AbortController();
    idle.quiet(stop.signal);
    await clock.advance(20_000);
    idle.busy();
    idle.quiet(stop.signal);
    await clock.advance(20_000);
    expect(calls).toEqual([]);
    await clock.advance(10_000);
    expect(calls).toEqual([true]);
  });

  it("does not switch off what it never switched on", () => {
    const { calls, idle } = release(30_000);
    idle.busy();
    idle.busy();
    expect(calls).toEqual([]);
  });

  it("never releases when turned off (0)", async () => {
    const { clock, calls, idle } = release(0);
    idle.quiet(new AbortController().signal);
    await clock.advance(3_600_000);
    expect(calls).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("a stop turns the memory saver off again: it is process-wide, and other work may follow", async () => {
    const { clock, calls, idle } = release(30_000);
    const stop = new AbortController();
    idle.quiet(stop.signal);
    idle.busy();
    idle.quiet(stop.signal);
    await clock.advance(30_000);
    expect(calls).toEqual([true]);
    stop.abort();
    expect(calls).toEqual([true, false]);
    expect(idle.saving).toBe(false);
  });

  it("a stop cancels the pending release", async () => {
    const { clock, calls, idle } = release(30_000);
    const stop = new AbortController();
    idle.quiet(stop.signal);
    expect(clock.pending).toBe(1);
    stop.abort();
    await clock.advance(60_000);
    expect(calls).toEqual([]);
    expect(clock.pending).toBe(0);
    idle.quiet(stop.signal);
    expect(clock.pending).toBe(0);
  });
});
