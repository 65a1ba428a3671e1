import { describe, expect, it, vi } from "vitest";
import { CoalescingQueue } from "../../../src/status/queue.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

function setup(maxDelayMs = 30_000): {
  clock: ManualClock;
  queue: CoalescingQueue<string>;
  depths: number[];
} {
  const clock = new ManualClock();
  const depths: number[] = [];
  const queue = new CoalescingQueue<string>({ clock, maxDelayMs, onDepth: d => depths.push(d) });
  return { clock, queue, depths };
}

const never = new AbortController().signal;

describe("CoalescingQueue", () => {
  it("keeps only the latest value per key", async () => {
    const { queue } = setup();
    queue.add("a", "v1");
    queue.add("a", "v2");
    expect(queue.depth).toBe(1);
    expect(await queue.take(never)).toEqual({ key: "a", value: "v2", failures: 0 });
    expect(queue.depth).toBe(0);
  });

  it("hands out keys first come, first served", async () => {
    const { queue } = setup();
    queue.add("b", "1");
    queue.add("a", "1");
    queue.add("b", "2");
    expect((await queue.take(never)).key).toBe("b");
    expect((await queue.take(never)).key).toBe("a");
  });

  it("wakes a waiting taker when a key is added", async () => {
    const { queue } = setup();
    let taken: string | undefined;
    const waiting = queue.take(never).then(item => (taken = item.value));
    await settle();
    expect(taken).toBeUndefined();
    queue.add("a", "x");
    await waiting;
    expect(taken).toBe("x");
  });

  it("never hands one key to two workers; a value added meanwhile waits for done", async () => {
    const { queue } = setup();
    queue.add("a", "v1");
    await queue.take(never);
    queue.add("a", "v2");
    expect(queue.depth).toBe(1);
    let second: string | undefined;
    const waiting = queue.take(never).then(item => (second = item.value));
    await settle();
    expect(second).toBeUndefined();
    queue.done("a");
    await waiting;
    expect(second).toBe("v2");
  });

  it.each([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [7, 30_000],
    [10, 30_000],
  ])("after %d failures a key waits %d ms (capped)", async (failures, delay) => {
    const { queue, clock } = setup();
    queue.add("a", "v");
    let last = 0;
    for (let i = 0; i < failures; i++) {
      if (i > 0) await clock.advance(last);
      const item = await queue.take(never);
      expect(item.failures).toBe(i);
      last = queue.retry("a", item.value);
    }
    expect(last).toBe(delay);
  });

  it("does not hand out a failed key before its backoff has passed", async () => {
    const { queue, clock } = setup();
    queue.add("a", "v");
    const item = await queue.take(never);
    expect(queue.retry("a", item.value)).toBe(500);
    let again: number | undefined;
    const waiting = queue.take(never).then(i => (again = i.failures));
    await clock.advance(499);
    expect(again).toBeUndefined();
    await clock.advance(1);
    await waiting;
    expect(again).toBe(1);
  });

  it("serves ready keys while another backs off", async () => {
    const { queue } = setup();
    queue.add("a", "v");
    queue.retry("a", (await queue.take(never)).value);
    queue.add("b", "w");
    expect((await queue.take(never)).key).toBe("b");
  });

  it("retries with the newest value when one was added during the failed attempt", async () => {
    const { queue, clock } = setup();
    queue.add("a", "old");
    await queue.take(never);
    queue.add("a", "new");
    queue.retry("a", "old");
    await clock.advance(500);
    expect(await queue.take(never)).toEqual({ key: "a", value: "new", failures: 1 });
  });

  it("done forgets failures", async () => {
    const { queue, clock } = setup();
    queue.add("a", "v");
    queue.retry("a", (await queue.take(never)).value);
    await clock.advance(500);
    await queue.take(never);
    queue.done("a");
    queue.add("a", "v");
    expect((await queue.take(never)).failures).toBe(0);
  });

  it("forget drops the key", async () => {
    const { queue } = setup();
    queue.add("a", "v");
    await queue.take(never);
    queue.forget("a");
    expect(queue.depth).toBe(0);
  });

  it("take rejects when its signal aborts", async () => {
    const { queue } = setup();
    const stop = new AbortController();
    const waiting = queue.take(stop.signal);
    stop.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow("stopped");
  });

  it("reports its depth on every change", async () => {
    const { queue, depths } = setup();
    queue.add("a", "1");
    queue.add("b", "1");
    await queue.take(never);
    queue.done("a");
    expect(depths).toEqual([1, 2, 1, 1]);
  });
});

describe("CoalescingQueue at scale", () => {
  it("hands out retries in deadline order once they are due", async () => {
    const { queue, clock } = setup();
    for (const key of ["a", "b", "c"]) queue.add(key, key);
    for (let i = 0; i < 3; i++) await queue.take(never);
    queue.retry("c", "c");
    await clock.advance(100);
    queue.retry("a", "a");
    queue.retry("b", "b");
    await clock.advance(400);
    expect((await queue.take(never)).key).toBe("c");
    await clock.advance(100);
    expect((await queue.take(never)).key).toBe("a");
    expect((await queue.take(never)).key).toBe("b");
  });

  it("takes from 100k waiting keys without iterating any collection", async () => {
    const { queue } = setup();
    const n = 50_000;
    for (let i = 0; i < n; i++) queue.add(`late-${String(i)}`, "v");
    for (let i = 0; i < n; i++) queue.retry((await queue.take(never)).key, "v");
    for (let i = 0; i < n; i++) queue.add(`ready-${String(i)}`, "v");
    expect(queue.depth).toBe(2 * n);

    // A scan would go through an iterator or an array callback; take's synchronous part (which finds
    // the ready key) must use neither.
    const scans = [
      vi.spyOn(Map.prototype, "values"),
      vi.spyOn(Map.prototype, "keys"),
      vi.spyOn(Map.prototype, "entries"),
      vi.spyOn(Map.prototype, "forEach"),
      vi.spyOn(Map.prototype, Symbol.iterator),
      vi.spyOn(Array.prototype, "filter"),
      vi.spyOn(Array.prototype, "map"),
      vi.spyOn(Array.prototype, "forEach"),
      vi.spyOn(Array.prototype, "indexOf"),
      vi.spyOn(Array.prototype, "findIndex"),
      vi.spyOn(Array.prototype, "sort"),
    ];
    const takes = Array.from({ length: 100 }, () => queue.take(never));
    let calls = 0;
    for (const s of scans) calls += s.mock.calls.length;
    for (const s of scans) s.mockRestore();

    expect(calls).toBe(0);
    const keys = (await Promise.all(takes)).map(i => i.key);
    expect(keys).toEqual(Array.from({ length: 100 }, (_, i) => `ready-${String(i)}`));
  });
});
