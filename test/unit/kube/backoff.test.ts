import { describe, expect, it } from "vitest";
import { Backoff } from "../../../src/kube/backoff.ts";

describe("Backoff", () => {
  it.each([
    { random: 0, expected: [100, 200, 400, 800, 1000, 1000] },
    { random: 1, expected: [50, 100, 200, 400, 500, 500] },
    { random: 0.5, expected: [75, 150, 300, 600, 750, 750] },
  ])("grows by the factor, caps, and jitters down by random=$random", ({ random, expected }) => {
    const backoff = new Backoff(
      { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 },
      () => random,
    );
    expect(expected.map(() => backoff.next())).toEqual(expected);
    expect(backoff.attempts).toBe(expected.length);
  });

  it("starts over after reset", () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0 }, () => 0.9);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([10, 20, 40]);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(10);
  });

  it("stays finite and capped after very many failures", () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 }, () => 0);
    for (let i = 0; i < 5000; i++) backoff.next();
    expect(backoff.next()).toBe(30_000);
  });

  it.each([-1, 2])("clamps jitter %d into [0, 1]", jitter => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 100, jitter }, () => 1);
    const delay = backoff.next();
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(100);
  });
});
