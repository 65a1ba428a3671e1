import { describe, expect, it } from "vitest";
import {
  conditionsEqual,
  conditionTime,
  isApiConditionType,
  isStale,
  mergeConditions,
  observedConditions,
  type Condition,
} from "../../../src/status/conditions.ts";

const T0 = "2026-01-01T00:00:00Z";
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const NOW_TEXT = "2026-06-01T12:00:00Z";

const accepted: Condition = {
  type: "Accepted",
  status: "True",
  reason: "Accepted",
  message: "",
  observedGeneration: 1,
  lastTransitionTime: T0,
};
const foreign: Condition = {
  type: "example.com/Other",
  status: "True",
  reason: "X",
  message: "",
  lastTransitionTime: T0,
};

describe("mergeConditions", () => {
  it("keeps lastTransitionTime when the status is unchanged, even if the reason changes", () => {
    const merged = mergeConditions(
      [accepted],
      [{ ...accepted, reason: "Still", observedGeneration: 2 }],
      NOW,
    );
    expect(merged).toEqual([
      { ...accepted, reason: "Still", observedGeneration: 2, lastTransitionTime: T0 },
    ]);
  });

  it("stamps now when the status changes", () => {
    const merged = mergeConditions(
      [accepted],
      [{ ...accepted, status: "False", reason: "Invalid" }],
      NOW,
    );
    expect(merged[0]?.lastTransitionTime).toBe(NOW_TEXT);
  });

  it("keeps conditions it does not own, in place, and appends new types", () => {
    const programmed = {
      type: "Programmed",
      status: "True" as const,
      reason: "Programmed",
      message: "",
    };
    const merged = mergeConditions([foreign, accepted], [programmed, accepted], NOW);
    expect(merged.map(c => c.type)).toEqual(["example.com/Other", "Accepted", "Programmed"]);
    expect(merged[2]?.lastTransitionTime).toBe(NOW_TEXT);
    expect(merged[0]).toBe(foreign);
  });

  it("removes a condition of a type it owns that is no longer desired, never another's", () => {
    const conflicted = { ...accepted, type: "Conflicted", status: "True" as const };
    const merged = mergeConditions(
      [conflicted, foreign, accepted],
      [accepted],
      NOW,
      isApiConditionType,
    );
    expect(merged).toEqual([foreign, accepted]);
  });

  it("never passes 8 conditions: the ones there stay, new types that do not fit are left out", () => {
    const others = Array.from({ length: 7 }, (_, i) => ({
      ...foreign,
      type: `example.com/C${String(i)}`,
    }));
    const programmed = { ...accepted, type: "Programmed" };
    const merged = mergeConditions(others, [accepted, programmed], NOW, isApiConditionType);
    expect(merged.map(c => c.type)).toEqual([...others.map(c => c.type), "Accepted"]);
  });

  it("makes rewriting the same status a no-op", () => {
    const once = mergeConditions([], [accepted], NOW);
    const twice = mergeConditions(once, [accepted], NOW + 60_000);
    expect(conditionsEqual(once, twice)).toBe(true);
    expect(twice).toEqual(once);
  });
});

describe("conditionsEqual", () => {
  it.each<[string, Condition[], Condition[], boolean]>([
    ["same", [accepted], [accepted], true],
    ["only the time differs", [accepted], [{ ...accepted, lastTransitionTime: NOW_TEXT }], true],
    ["order differs", [accepted, foreign], [foreign, accepted], true],
    ["status differs", [accepted], [{ ...accepted, status: "False" }], false],
    ["message differs", [accepted], [{ ...accepted, message: "x" }], false],
    ["generation differs", [accepted], [{ ...accepted, observedGeneration: 2 }], false],
    ["length differs", [accepted], [accepted, foreign], false],
  ])("%s → %s", (_name, a, b, equal) => {
    expect(conditionsEqual(a, b)).toBe(equal);
  });
});

describe("isStale", () => {
  it.each([
    [1, false],
    [2, false],
    [0, true],
  ])("stored generation 1, ours %d → stale %s", (generation, stale) => {
    expect(isStale([accepted], generation)).toBe(stale);
  });
});

describe("observedConditions", () => {
  it("keeps entries as the cluster holds them and reads anything else as absent", () => {
    const extended = { ...foreign, extra: { kept: true } };
    expect(
      observedConditions([extended, "x", { type: 1 }, { type: "A", status: "Maybe" }]),
    ).toEqual([extended]);
    expect(observedConditions(undefined)).toEqual([]);
    expect(observedConditions({ type: "Accepted" })).toEqual([]);
  });
});

describe("isStale without a generation of ours", () => {
  it("compares nothing", () => {
    expect(isStale([{ ...accepted, observedGeneration: 9 }], undefined)).toBe(false);
  });
});

describe("conditionTime", () => {
  it("has second precision", () => {
    expect(conditionTime(NOW + 789)).toBe(NOW_TEXT);
  });
});
