import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  retryDelayMs,
  retryWithBackoff,
} from "../../../src/sender/backoff.ts";
import { KongBusyError, KongUnreachableError } from "../../../src/kong/errors.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const options = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, maxRetryAfterMs: 60_000 };

describe("backoffDelayMs", () => {
  it.each([
    [1, 0, 1000],
    [2, 0, 2000],
    [5, 0, 16_000],
    [6, 0, 30_000],
    [50, 0, 30_000],
    [1, 1, 800],
    [6, 1, 24_000],
    [6, 0.5, 27_000],
  ])("attempt %i with random %f waits %i ms", (attempt, random, ms) => {
    expect(backoffDelayMs(attempt, options, () => random)).toBe(ms);
  });

  it("never exceeds the cap, whatever the jitter", () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      for (const random of [0, 0.3, 0.99, 1]) {
        expect(backoffDelayMs(attempt, options, () => random)).toBeLessThanOrEqual(options.maxMs);
      }
    }
  });
});

describe("retryDelayMs", () => {
  const busy = (ms: number | undefined) => new KongBusyError("http://k", 429, ms);

  it.each([
    ["Retry-After 3 s", busy(3000), 5, 3000],
    ["Retry-After 0 falls back to the first step", busy(0), 1, 1000],
    ["Retry-After beyond the cap is capped", busy(3_600_000), 1, 60_000],
    ["503 without Retry-After uses the backoff", busy(undefined), 3, 4000],
    ["unreachable uses the backoff", new KongUnreachableError("http://k", "refused"), 2, 2000],
  ])("%s", (_name, error, attempt, ms) => {
    expect(retryDelayMs(error, attempt, options, () => 0)).toBe(ms);
  });
});

describe("retryWithBackoff", () => {
  it("waits on the injected clock between attempts and returns the first success", async () => {
    const clock = new ManualClock();
    const attempts: number[] = [];
    const result = retryWithBackoff(
      attempt => {
        attempts.push(clock.now());
        return attempt < 4
          ? Promise.reject(new KongUnreachableError("http://k", "refused"))
          : Promise.resolve("done");
      },
      { clock, signal: new AbortController().signal, backoff: options, random: () => 0 },
    );
    await clock.advance(60_000);
    expect(await result).toBe("done");
    expect(attempts.map(t => t - attempts[0]!)).toEqual([0, 1000, 3000, 7000]);
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it("stops when the signal aborts during a wait", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let calls = 0;
    const result = retryWithBackoff(
      () => {
        calls++;
        return Promise.reject(new KongUnreachableError("http://k", "refused"));
      },
      { clock, signal: controller.signal, backoff: DEFAULT_BACKOFF, random: () => 0 },
    );
    const settled = result.catch((err: unknown) => err);
    await settle();
    controller.abort(new Error("stopped"));
    expect(await settled).toEqual(new Error("stopped"));
    expect(calls).toBe(1);
  });
});
