import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../../src/util/bounded-map.ts";

describe("BoundedMap", () => {
  it("keeps at most its limit, starting over when a new key would pass it", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    map.set("b", 3);
    expect([map.get("a"), map.get("b")]).toEqual([1, 3]);
    map.set("c", 4);
    expect([map.get("a"), map.get("b"), map.get("c")]).toEqual([undefined, undefined, 4]);
  });

  it("makes a value once per key, null included", () => {
    const map = new BoundedMap<string, string | null>(8);
    let made = 0;
    const make = (): null => {
      made++;
      return null;
    };
    expect(map.getOrSet("k", make)).toBeNull();
    expect(map.getOrSet("k", make)).toBeNull();
    expect(made).toBe(1);
  });
});
