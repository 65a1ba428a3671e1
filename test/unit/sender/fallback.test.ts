import { describe, expect, it } from "vitest";
import {
  dependantsOf,
  exclusionClosure,
  planFallback,
  withoutObjects,
} from "../../../src/sender/fallback.ts";
import type { EntityFailure } from "../../../src/kong/flattened-errors.ts";
import { refKey, refOf } from "../../../src/model/object-ref.ts";
import { ingress, service, snapshot, translate } from "./helpers.ts";

const snap = snapshot({
  services: [service("shop", "web"), service("shop", "api"), service("shop", "idle")],
  ingresses: [
    ingress("shop", "a", ["web"]),
    ingress("shop", "b", ["api"]),
    ingress("shop", "c", ["web", "api"]),
  ],
});
const { results } = translate(snap);

function failure(obj: Parameters<typeof refOf>[0]): EntityFailure {
  return { entityType: "route", ref: refOf(obj), problems: [{ message: "bad" }] };
}

const keysOf = (refs: readonly { kind: string; namespace: string; name: string }[]) =>
  refs.map(refKey);

describe("dependency graph", () => {
  it("links each dependency to the objects that read it", () => {
    const graph = dependantsOf(results);
    expect([...(graph.get("Service/shop/api") ?? [])].sort()).toEqual([
      "Ingress/shop/b",
      "Ingress/shop/c",
    ]);
    expect(graph.get("Service/shop/idle")).toBeUndefined();
  });

  it("follows dependants transitively and survives cycles", () => {
    const graph = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c", "a"])],
      ["c", new Set<string>()],
    ]);
    expect([...exclusionClosure(["a"], graph)].sort()).toEqual(["a", "b", "c"]);
    expect([...exclusionClosure(["c"], graph)]).toEqual(["c"]);
  });
});

describe("planFallback", () => {
  it.each([
    ["a broken Ingress affects nothing else", [ingress("shop", "b", ["api"])], []],
    [
      "a broken Service affects the Ingresses that route to it",
      [service("shop", "api")],
      ["Ingress/shop/b", "Ingress/shop/c"],
    ],
    ["an unused broken Service affects nothing else", [service("shop", "idle")], []],
  ])("%s", (_name, broken, affected) => {
    const plan = planFallback({ snapshot: snap, results, failures: broken.map(failure) });
    expect(keysOf(plan?.affected ?? [])).toEqual(affected);
    expect(keysOf(plan?.broken ?? [])).toEqual(broken.map(o => refKey(refOf(o))));
  });

  it("filters only the broken objects out of every list of the snapshot", () => {
    const plan = planFallback({
      snapshot: snap,
      results,
      failures: [failure(service("shop", "api"))],
    });
    expect(plan?.snapshot.services.map(s => s.metadata.name)).toEqual(["web", "idle"]);
    expect(plan?.snapshot.ingresses.map(i => i.metadata.name)).toEqual(["a", "b", "c"]);
    expect(snap.services).toHaveLength(3);
  });

  it("is undefined when no failure names an object of the snapshot", () => {
    const stranger = failure(service("other", "x"));
    const untagged: EntityFailure = { entityType: "upstream", entityName: "kong", problems: [] };
    expect(
      planFallback({ snapshot: snap, results, failures: [stranger, untagged] }),
    ).toBeUndefined();
    expect(planFallback({ snapshot: snap, results, failures: [] })).toBeUndefined();
  });

  it("withoutObjects keeps non-list fields as they are", () => {
    const extended = { ...snap, note: "x" } as unknown as typeof snap;
    expect((withoutObjects(extended, new Set()) as unknown as { note: string }).note).toBe("x");
  });
});
