/**
 * Per-parent results: `results.for(route).parent(ref).set(condition)` beside the per-object problems.
 * Objects are parsed from manifests as the store parses them; Ingresses stand in for routes until the
 * Gateway API kinds are parsed (the builder takes any object).
 */
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { parseKubeObject } from "../../../src/model/parse.ts";
import {
  RecordedResults,
  ResultsBuilder,
  type ResultSink,
} from "../../../src/translator/results.ts";
import type { ParentCondition, ParentRef } from "../../../src/translator/types.ts";

function ingress(name: string): KubeObject {
  const parsed = parseKubeObject({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: "shop", uid: `uid-${name}` },
    spec: { ingressClassName: "kong" },
  });
  if (parsed.ok !== true) throw new Error(`test object does not parse: ${JSON.stringify(parsed)}`);
  return parsed.object;
}

const gateway = (name: string, extra: Partial<ParentRef> = {}): ParentRef => ({
  group: "gateway.networking.k8s.io",
  kind: "Gateway",
  namespace: "infra",
  name,
  ...extra,
});

const accepted: ParentCondition = {
  type: "Accepted",
  status: "True",
  reason: "Accepted",
  message: "the route is accepted",
};
const refsResolved: ParentCondition = {
  type: "ResolvedRefs",
  status: "True",
  reason: "ResolvedRefs",
  message: "every reference resolved",
};
const notAllowed: ParentCondition = {
  type: "Accepted",
  status: "False",
  reason: "NotAllowedByListeners",
  message: "no listener allows routes from namespace shop",
};

describe("results per parent", () => {
  it("keeps one condition per type per parent, parents and conditions sorted", () => {
    const route = ingress("web");
    const results = new ResultsBuilder();
    results.seen(route);
    const forRoute = results.for(route);
    forRoute
      .parent(gateway("public", { sectionName: "https" }))
      .set(refsResolved)
      .set(accepted);
    forRoute.parent(gateway("internal")).set(accepted);
    // A later condition of the same type replaces the earlier one.
    forRoute.parent(gateway("internal")).set(notAllowed);
    forRoute.translated();

    const [result] = results.build();
    expect(result?.outcome).toBe("translated");
    expect(result?.parents).toEqual([
      { parentRef: gateway("internal"), conditions: [notAllowed] },
      {
        parentRef: gateway("public", { sectionName: "https" }),
        conditions: [accepted, refsResolved],
      },
    ]);
  });

  const partly = (message: string): ParentCondition => ({
    type: "PartiallyInvalid",
    status: "True",
    reason: "UnsupportedValue",
    message,
  });
  it.each([
    { name: "another problem: both said, in order", later: partly("B"), message: "A; B" },
    { name: "the same problem again: said once", later: partly("A"), message: "A" },
    {
      name: "one of the problems already said: said once",
      first: "A; B",
      later: partly("B"),
      message: "A; B",
    },
    {
      name: "a problem whose text is part of an earlier one's: both said",
      first: "path /api/v1 refused",
      later: partly("path /api"),
      message: "path /api/v1 refused; path /api",
    },
    {
      name: "another verdict: it replaces the earlier one",
      later: { ...partly("B"), reason: "Other" },
      message: "B",
    },
    {
      name: "too long together: cut at the API's limit",
      later: partly("b".repeat(40_000)),
      message: `A; ${"b".repeat(32_768 - 6)}...`,
    },
  ])("a second condition of one type: $name", ({ first = "A", later, message }) => {
    const route = ingress("web");
    const results = new ResultsBuilder();
    results.for(route).parent(gateway("public")).set(partly(first)).set(later);
    const [condition] = results.build()[0]?.parents?.[0]?.conditions ?? [];
    expect(condition?.message).toBe(message);
    expect(condition?.message.length).toBeLessThanOrEqual(32_768);
  });

  it("tells a parent's listeners and ports apart", () => {
    const route = ingress("web");
    const results = new ResultsBuilder();
    results
      .for(route)
      .parent(gateway("public", { sectionName: "http" }))
      .set(accepted);
    results
      .for(route)
      .parent(gateway("public", { port: 443 }))
      .set(notAllowed);
    results.for(route).parent(gateway("public")).set(refsResolved);
    const parents = results.build()[0]?.parents ?? [];
    expect(parents.map(p => p.parentRef)).toEqual([
      gateway("public"),
      gateway("public", { port: 443 }),
      gateway("public", { sectionName: "http" }),
    ]);
    expect(parents.map(p => p.conditions[0]?.type)).toEqual([
      "ResolvedRefs",
      "Accepted",
      "Accepted",
    ]);
  });

  it("gives the same results whatever order parents and conditions are set in", () => {
    const route = ingress("web");
    const calls: ((sink: ResultSink) => void)[] = [
      sink => sink.for(route).parent(gateway("b")).set(accepted),
      sink => sink.for(route).parent(gateway("a")).set(refsResolved),
      sink => sink.for(route).parent(gateway("a")).set(accepted),
      sink => {
        sink.for(route).problem("BackendNotFound", "Service shop/api not found");
      },
    ];
    const forwards = new ResultsBuilder();
    for (const call of calls) call(forwards);
    const backwards = new ResultsBuilder();
    for (const call of [...calls].reverse()) call(backwards);
    expect(backwards.build()).toEqual(forwards.build());
  });

  it("leaves parents out of the results of objects that have none", () => {
    const route = ingress("web");
    const results = new ResultsBuilder();
    results.for(route).problem("InvalidAnnotation", "annotation konghq.com/x is not valid");
    const [result] = results.build();
    expect(result).toEqual({
      ref: expect.objectContaining({ kind: "Ingress", name: "web" }) as unknown,
      outcome: "ignored",
      problems: [{ reason: "InvalidAnnotation", message: "annotation konghq.com/x is not valid" }],
      dependsOn: [],
    });
    expect(result).not.toHaveProperty("parents");
  });

  it("replays recorded parent conditions, problems and dependencies as they were said", () => {
    const route = ingress("web");
    const other = ingress("api");
    const say = (sink: ResultSink): void => {
      const r = sink.for(route);
      r.parent(gateway("public")).set(accepted).set(refsResolved);
      r.problem("RefNotPermitted", "Service other/api needs a ReferenceGrant");
      r.dependsOn(other);
      r.excluded();
      sink.for(other).translated();
    };
    const direct = new ResultsBuilder();
    say(direct);
    const recorded = new RecordedResults();
    say(recorded);
    const replayed = new ResultsBuilder();
    recorded.replay(replayed);
    expect(replayed.build()).toEqual(direct.build());
    expect(direct.build().find(r => r.ref.name === "web")?.parents).toEqual([
      { parentRef: gateway("public"), conditions: [accepted, refsResolved] },
    ]);
  });
});
