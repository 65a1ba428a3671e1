import { describe, expect, it } from "vitest";
import { routeDesired } from "../../../src/status/gateway-publisher.ts";
import type { RouteDesiredStatus } from "../../../src/status/mutator.ts";
import { routeStatusMutator as mutator } from "../../../src/status/route-status.ts";
import {
  cluster,
  G,
  gatewayManifest,
  httpRouteManifest,
  NOW,
  NOW_TEXT,
  observedOf,
  OTHER,
  OURS,
  T0,
  translatedStatuses,
  gatewayClassManifest,
  satisfiedCases,
} from "./gateway-api-fixtures.ts";

const KONG = { group: G, kind: "Gateway", namespace: "infra", name: "kong" };
const ELSEWHERE = { group: G, kind: "Gateway", namespace: "infra", name: "elsewhere" };

/** What translation decides for the route (its parents, at its generation). */
function desired(route: object = httpRouteManifest()): RouteDesiredStatus {
  const spec = cluster({ route }).routes.find(r => r.name === "web");
  const d = spec === undefined ? undefined : routeDesired(spec, OURS);
  if (d === undefined) throw new Error("no route status");
  return d;
}

const observed = (status: unknown, generation = 3) =>
  observedOf(httpRouteManifest({ generation }), status);

const cond = (type: string, status: string, reason: string, over: object = {}) => ({
  type,
  status,
  reason,
  message: "",
  observedGeneration: 3,
  lastTransitionTime: T0,
  ...over,
});
const ourConditions = (over: object = {}) => [
  cond("Accepted", "True", "Accepted", over),
  cond("ResolvedRefs", "True", "ResolvedRefs", over),
];
const ours = (parentRef: object = KONG, over: object = {}) => ({
  parentRef,
  controllerName: OURS,
  conditions: ourConditions(over),
});
/** Another implementation's entry for the same Gateway, with a field we do not know. */
const theirs = {
  parentRef: KONG,
  controllerName: OTHER,
  conditions: [cond("Accepted", "False", "NotAllowedByListeners", { observedGeneration: 9 })],
  extension: { kept: true },
};

describe("routeStatusMutator", () => {
  it("addresses each route kind at the version its watch uses", () => {
    expect(mutator.statusPath(desired(), observed(undefined))).toBe(
      "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/web/status",
    );
    const tcp = { ...desired(), kind: "TCPRoute" as const };
    const tcpObserved = observedOf(
      { ...httpRouteManifest(), kind: "TCPRoute" },
      undefined,
      "v1alpha2",
    );
    expect(mutator.statusPath(tcp, tcpObserved)).toBe(
      "/apis/gateway.networking.k8s.io/v1alpha2/namespaces/shop/tcproutes/web/status",
    );
  });

  it.each(
    satisfiedCases([
      ["no status", undefined, false],
      ["exactly ours", { parents: [ours()] }, true],
      ["ours and another controller's", { parents: [theirs, ours()] }, true],
      [
        "ours with the parentRef's defaults left to the CRD",
        { parents: [ours({ namespace: "infra", name: "kong" })] },
        true,
      ],
      ["only another controller's", { parents: [theirs] }, false],
      [
        "ours for a Gateway we no longer serve as well",
        { parents: [ours(), ours(ELSEWHERE)] },
        false,
      ],
      ["ours of an older generation", { parents: [ours(KONG, { observedGeneration: 2 })] }, false],
      [
        "ours of a newer generation (our copy is stale: never regressed)",
        { parents: [ours(ELSEWHERE, { observedGeneration: 4 })] },
        true,
      ],
    ]),
  )("$name → satisfied: $satisfied", ({ status, satisfied }) => {
    expect(mutator.satisfied(desired(), observed(status))).toBe(satisfied);
  });

  it("matches a parentRef written without the CRD's defaults to the route's own", () => {
    const route = httpRouteManifest({ parents: [{ name: "kong", namespace: "infra" }] });
    const d = desired(route);
    expect(d.parents.map(p => p.parentRef)).toEqual([{ namespace: "infra", name: "kong" }]);
    expect(mutator.satisfied(d, observed({ parents: [ours()] }))).toBe(true);
  });

  it("adds ours after another controller's entry, which goes back exactly as it was", () => {
    expect(mutator.patch(desired(), observed({ parents: [theirs] }), NOW)).toEqual({
      metadata: { resourceVersion: "12" },
      status: { parents: [theirs, ours(KONG, { lastTransitionTime: NOW_TEXT })] },
    });
  });

  it("removes our entry for a parent we no longer serve, in place, and keeps the others", () => {
    const patch = mutator.patch(
      desired(),
      observed({ parents: [ours(ELSEWHERE), theirs, ours()] }),
      NOW,
    );
    expect(patch).toMatchObject({ status: { parents: [theirs, ours()] } });
  });

  it("removes every entry of ours once the route has no parent of ours", () => {
    const route = httpRouteManifest({ parents: [{ group: G, kind: "Gateway", name: "foreign" }] });
    const d = desired(route);
    expect(d.parents).toEqual([]);
    expect(mutator.patch(d, observed({ parents: [ours(), theirs] }), NOW)).toMatchObject({
      status: { parents: [theirs] },
    });
    expect(mutator.satisfied(d, observed({ parents: [theirs] }))).toBe(true);
    expect(mutator.satisfied(d, observed(undefined))).toBe(true);
  });

  it("keeps lastTransitionTime across a generation bump that changes no status", () => {
    const bumped = desired(httpRouteManifest({ generation: 4 }));
    const patch = mutator.patch(bumped, observed({ parents: [ours()] }, 4), NOW);
    expect(patch).toMatchObject({
      status: { parents: [ours(KONG, { observedGeneration: 4 })] },
    });
  });

  it("moves lastTransitionTime of the condition whose status changes, only that one", () => {
    const broken = desired(httpRouteManifest({ backend: "missing" }));
    const patch = mutator.patch(broken, observed({ parents: [ours()] }), NOW) as {
      status: {
        parents: { conditions: { type: string; status: string; lastTransitionTime: string }[] }[];
      };
    };
    expect(
      patch.status.parents[0]?.conditions.map(c => [c.type, c.status, c.lastTransitionTime]),
    ).toEqual([
      ["Accepted", "True", T0],
      ["ResolvedRefs", "False", NOW_TEXT],
    ]);
  });

  it("never passes 32 entries: others' stay, ours that do not fit are left out", () => {
    const full = Array.from({ length: 32 }, (_, i) => ({
      ...theirs,
      parentRef: { ...KONG, name: `gw-${String(i)}` },
    }));
    expect(mutator.satisfied(desired(), observed({ parents: full }))).toBe(true);
    const room = full.slice(1);
    expect(
      (mutator.patch(desired(), observed({ parents: room }), NOW) as { status: { parents: [] } })
        .status.parents,
    ).toHaveLength(32);
  });

  it("writes what it then finds satisfied", () => {
    const { status } = mutator.patch(desired(), observed({ parents: [theirs] }), NOW) as {
      status: object;
    };
    expect(mutator.satisfied(desired(), observed(status))).toBe(true);
  });

  it("tells repeats of one desired status from changes", () => {
    expect(mutator.same(desired(), desired())).toBe(true);
    expect(mutator.same(desired(), desired(httpRouteManifest({ generation: 4 })))).toBe(false);
  });

  it("decides a route of a foreign Gateway too, so ours can be removed from it", () => {
    const statuses = translatedStatuses([
      gatewayClassManifest(),
      gatewayManifest(),
      httpRouteManifest({ parents: [{ name: "foreign", namespace: "infra" }] }),
    ]);
    expect(statuses.routes.map(r => [r.name, r.parents.length])).toEqual([["web", 0]]);
  });
});
