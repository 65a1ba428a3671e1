import { describe, expect, it } from "vitest";
import { gatewayClassStatusMutator as mutator } from "../../../src/status/gateway-class-status.ts";
import { gatewayClassDesired } from "../../../src/status/gateway-publisher.ts";
import type { GatewayClassDesiredStatus } from "../../../src/status/mutator.ts";
import {
  cluster,
  gatewayClassManifest,
  NOW,
  NOW_TEXT,
  observedOf,
  T0,
  satisfiedCases,
} from "./gateway-api-fixtures.ts";

/** What translation decides for our class at `generation`. */
function desired(generation = 1): GatewayClassDesiredStatus {
  const [spec] = cluster({ class: gatewayClassManifest(generation) }).classes;
  if (spec === undefined) throw new Error("the class is not ours");
  return gatewayClassDesired(spec);
}

const FEATURES = desired().supportedFeatures.map(name => ({ name }));
const MESSAGE = "the gatewayclass has been accepted by the controller";
const accepted = (over: object = {}) => ({
  type: "Accepted",
  status: "True",
  reason: "Accepted",
  message: MESSAGE,
  observedGeneration: 1,
  lastTransitionTime: T0,
  ...over,
});
/** What the CRD writes before any controller does. */
const crdDefault = {
  conditions: [
    {
      type: "Accepted",
      status: "Unknown",
      reason: "Pending",
      message: "Waiting for controller",
      lastTransitionTime: "1970-01-01T00:00:00Z",
    },
  ],
};
const foreign = {
  type: "example.com/Audited",
  status: "True",
  reason: "Seen",
  message: "",
  lastTransitionTime: T0,
};

const observed = (status: unknown, generation = 1) =>
  observedOf(gatewayClassManifest(generation), status);

describe("gatewayClassStatusMutator", () => {
  it("addresses the cluster-scoped status subresource at the version the watch uses", () => {
    expect(mutator.statusPath(desired(), observed(undefined))).toBe(
      "/apis/gateway.networking.k8s.io/v1/gatewayclasses/kong/status",
    );
    expect(
      mutator.statusPath(desired(), observedOf(gatewayClassManifest(), undefined, "v1beta1")),
    ).toBe("/apis/gateway.networking.k8s.io/v1beta1/gatewayclasses/kong/status");
  });

  it.each(
    satisfiedCases([
      ["no status", undefined, false],
      ["the CRD's default Pending", crdDefault, false],
      ["exactly ours", { conditions: [accepted()], supportedFeatures: FEATURES }, true],
      [
        "ours, the time aside",
        { conditions: [accepted({ lastTransitionTime: NOW_TEXT })], supportedFeatures: FEATURES },
        true,
      ],
      [
        "ours next to another's condition",
        { conditions: [foreign, accepted()], supportedFeatures: FEATURES },
        true,
      ],
      [
        "an older generation",
        { conditions: [accepted({ observedGeneration: 0 })], supportedFeatures: FEATURES },
        false,
      ],
      [
        "a newer generation (our copy is stale: never regressed)",
        { conditions: [accepted({ status: "False", observedGeneration: 2 })] },
        true,
      ],
      [
        "features unsorted",
        { conditions: [accepted()], supportedFeatures: [...FEATURES].reverse() },
        false,
      ],
      ["features missing", { conditions: [accepted()] }, false],
      [
        "features in the pre-v1.2 shape (plain names)",
        { conditions: [accepted()], supportedFeatures: FEATURES.map(f => f.name) },
        false,
      ],
    ]),
  )("$name → satisfied: $satisfied", ({ status, satisfied }) => {
    expect(mutator.satisfied(desired(), observed(status))).toBe(satisfied);
  });

  it("replaces the CRD's default, stamping the transition, with the sorted features", () => {
    expect(mutator.patch(desired(), observed(crdDefault), NOW)).toEqual({
      metadata: { resourceVersion: "10" },
      status: {
        conditions: [accepted({ lastTransitionTime: NOW_TEXT })],
        supportedFeatures: FEATURES,
      },
    });
    expect(FEATURES.map(f => f.name)).toEqual([...FEATURES.map(f => f.name)].sort());
  });

  it("keeps the time of an unchanged status across a generation bump, and others' conditions in place", () => {
    const bumped = desired(2);
    const patch = mutator.patch(
      bumped,
      observed({ conditions: [foreign, accepted()], supportedFeatures: FEATURES }, 2),
      NOW,
    );
    expect(patch).toMatchObject({
      status: { conditions: [foreign, accepted({ observedGeneration: 2 })] },
    });
  });

  it("moves the time when the status changes", () => {
    const patch = mutator.patch(
      desired(),
      observed({ conditions: [accepted({ status: "False", reason: "InvalidParameters" })] }),
      NOW,
    ) as { status: { conditions: { lastTransitionTime: string }[] } };
    expect(patch.status.conditions[0]?.lastTransitionTime).toBe(NOW_TEXT);
  });

  it("writes what it then finds satisfied", () => {
    const { status } = mutator.patch(desired(), observed(crdDefault), NOW) as { status: object };
    expect(mutator.satisfied(desired(), observed(status))).toBe(true);
  });

  it("tells repeats of one desired status from changes", () => {
    expect(mutator.same(desired(), desired())).toBe(true);
    expect(mutator.same(desired(), desired(2))).toBe(false);
  });
});
