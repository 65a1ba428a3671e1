import { describe, expect, it } from "vitest";
import { MinHeap } from "../../../src/status/min-heap.ts";

function countingHeap(): { heap: MinHeap<number>; comparisons: () => number } {
  let comparisons = 0;
  const heap = new MinHeap<number>((a, b) => {
    comparisons++;
    return a < b;
  });
  return { heap, comparisons: () => comparisons };
}

describe("MinHeap", () => {
  it("pops items smallest first, whatever the push order", () => {
    const { heap } = countingHeap();
    const input = [5, 3, 9, 1, 1, 7, 2, 8, 6, 4, 0];
    for (const n of input) heap.push(n);
    expect(heap.size).toBe(input.length);
    expect(heap.peek()).toBe(0);
    const out: number[] = [];
    for (let n = heap.pop(); n !== undefined; n = heap.pop()) out.push(n);
    expect(out).toEqual([...input].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it("keeps working when pushes and pops interleave", () => {
    const { heap } = countingHeap();
    heap.push(4);
    heap.push(2);
    expect(heap.pop()).toBe(2);
    heap.push(1);
    heap.push(3);
    expect([heap.pop(), heap.pop(), heap.pop()]).toEqual([1, 3, 4]);
  });

  it("compares O(log n) times per push and pop, not once per item", () => {
    const { heap, comparisons } = countingHeap();
    const n = 1 << 16;
    // Descending pushes are the worst case for sift-up: every one climbs to the root.
    for (let i = n; i > 0; i--) heap.push(i);
    const log2 = Math.log2(n);
    const beforePush = comparisons();
    heap.push(0);
    expect(comparisons() - beforePush).toBeLessThanOrEqual(log2 + 1);
    const beforePop = comparisons();
    expect(heap.pop()).toBe(0);
    expect(comparisons() - beforePop).toBeLessThanOrEqual(2 * log2 + 2);
  });
});
