import { describe, expect, it } from "vitest";
import {
  dependantsOf,
  exclusionClosure,
  planFallback,
  withoutObjects,
} from "../../../src/sender/fallback.ts";
import type { EntityFailure } from "../../../src/kong/flattened-errors.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { refKey, refOf } from "../../../src/model/object-ref.ts";
import { SNAPSHOT_LISTS } from "../../../src/model/snapshot.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";

const web = svc("shop", "web");
const api = svc("shop", "api");
const idle = svc("shop", "idle");
const a = ing("shop", "a", ["web"]);
const b = ing("shop", "b", ["api"]);
const c = ing("shop", "c", ["web", "api"]);
/** An Ingress the store cannot parse: it lands in the snapshot's `invalid` list. */
const unparsable = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { namespace: "shop", name: "garbled", uid: "uid-garbled" },
  spec: { rules: "not a list" },
};

const snap = clusterSnapshot([web, api, idle, a, b, c, unparsable]);
const { results } = translate(snap);

function failure(obj: KubeObject): EntityFailure {
  return { entityType: "route", ref: refOf(obj), problems: [{ message: "bad" }] };
}

const keysOf = (refs: readonly { kind: string; namespace: string; name: string }[]) =>
  refs.map(refKey);
const names = (list: readonly KubeObject[]) => list.map(o => o.metadata.name);

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

describe("planFallback on a snapshot from the store", () => {
  it("is taken from a snapshot that carries an object the store could not parse", () => {
    expect(snap.invalid.map(i => refKey(i.ref))).toEqual(["Ingress/shop/garbled"]);
  });

  it.each([
    ["a broken Ingress affects nothing else", [b], []],
    [
      "a broken Service affects the Ingresses that route to it",
      [api],
      ["Ingress/shop/b", "Ingress/shop/c"],
    ],
    ["an unused broken Service affects nothing else", [idle], []],
  ])("%s", (_name, broken, affected) => {
    const plan = planFallback({ snapshot: snap, results, failures: broken.map(failure) });
    expect(keysOf(plan?.affected ?? [])).toEqual(affected);
    expect(keysOf(plan?.broken ?? [])).toEqual(broken.map(o => refKey(refOf(o))));
  });

  it("filters only the broken objects out of the declared lists", () => {
    const plan = planFallback({ snapshot: snap, results, failures: [failure(api)] });
    expect(names(plan?.snapshot.services ?? [])).toEqual(["idle", "web"]);
    expect(names(plan?.snapshot.ingresses ?? [])).toEqual(["a", "b", "c"]);
    expect(names(plan?.snapshot.ingressClasses ?? [])).toEqual(["kong"]);
    expect(snap.services).toHaveLength(3);
  });

  it("hands the translator only the declared lists, not the store's hash or invalid objects", () => {
    const filtered = withoutObjects(snap, new Set(["Service/shop/api"]));
    expect(Object.keys(filtered).sort()).toEqual(SNAPSHOT_LISTS.map(l => l.list).sort());
    expect(Object.keys(filtered)).not.toContain("invalid");
    // The fallback translation still knows nothing of the unparsable Ingress, as the primary did not.
    expect(translate(filtered).results.map(r => refKey(r.ref))).not.toContain(
      "Ingress/shop/garbled",
    );
  });

  it("is undefined when no failure names an object of the snapshot", () => {
    const stranger = failure(svc("other", "x"));
    const untagged: EntityFailure = { entityType: "upstream", entityName: "kong", problems: [] };
    const invalidOne: EntityFailure = {
      entityType: "route",
      ref: snap.invalid[0]!.ref,
      problems: [{ message: "bad" }],
    };
    expect(
      planFallback({ snapshot: snap, results, failures: [stranger, untagged, invalidOne] }),
    ).toBeUndefined();
    expect(planFallback({ snapshot: snap, results, failures: [] })).toBeUndefined();
  });
});
