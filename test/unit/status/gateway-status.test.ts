import { describe, expect, it } from "vitest";
import { gatewayDesired } from "../../../src/status/gateway-publisher.ts";
import { gatewayStatusMutator as mutator } from "../../../src/status/gateway-status.ts";
import type { GatewayDesiredStatus } from "../../../src/status/mutator.ts";
import {
  cluster,
  G,
  gatewayManifest,
  NOW,
  NOW_TEXT,
  observedOf,
  T0,
  satisfiedCases,
} from "./gateway-api-fixtures.ts";

const ADDRESSES = [{ ip: "192.0.2.10" }, { hostname: "kong.example.com" }];
const HTTP = {
  name: "http",
  port: 80,
  protocol: "HTTP",
  allowedRoutes: { namespaces: { from: "All" } },
};
const ADMIN = { name: "admin", port: 8080, protocol: "HTTP" };

/** What translation decides for the Gateway, with the published addresses (undefined: pending). */
function desired(
  opts: { generation?: number; listeners?: object[]; addresses?: typeof ADDRESSES | null } = {},
): GatewayDesiredStatus {
  const gateway = gatewayManifest({
    ...(opts.generation === undefined ? {} : { generation: opts.generation }),
    ...(opts.listeners === undefined ? {} : { listeners: opts.listeners }),
  });
  const [spec] = cluster({ gateway }).gateways;
  if (spec === undefined) throw new Error("the Gateway is not ours");
  return gatewayDesired(spec, opts.addresses === null ? undefined : (opts.addresses ?? ADDRESSES));
}

const observed = (status: unknown, generation = 2) =>
  observedOf(gatewayManifest({ generation }), status);

const cond = (type: string, status: string, reason: string, over: object = {}) => ({
  type,
  status,
  reason,
  message: "",
  observedGeneration: 2,
  lastTransitionTime: T0,
  ...over,
});
const foreign = {
  type: "example.com/PolicyAttached",
  status: "True",
  reason: "Attached",
  message: "",
  lastTransitionTime: T0,
};
const KINDS = [
  { group: G, kind: "HTTPRoute" },
  { group: G, kind: "GRPCRoute" },
];
const listenerConditions = (over: object = {}) => [
  cond("Accepted", "True", "Accepted", over),
  cond("Conflicted", "False", "NoConflicts", over),
  cond("ResolvedRefs", "True", "ResolvedRefs", over),
  cond("Programmed", "True", "Programmed", over),
];
/** The status we write for the default Gateway, as the watch shows it back. */
const written = (over: { listener?: object; status?: object } = {}) => ({
  conditions: [cond("Accepted", "True", "Accepted"), cond("Programmed", "True", "Programmed")],
  listeners: [
    {
      name: "http",
      supportedKinds: KINDS,
      attachedRoutes: 1,
      conditions: listenerConditions(),
      ...over.listener,
    },
  ],
  addresses: [
    { type: "IPAddress", value: "192.0.2.10" },
    { type: "Hostname", value: "kong.example.com" },
  ],
  ...over.status,
});
/** What the CRD writes before any controller does. */
const crdDefault = {
  conditions: [
    cond("Accepted", "Unknown", "Pending", { observedGeneration: undefined }),
    cond("Programmed", "Unknown", "Pending", { observedGeneration: undefined }),
  ],
};

describe("gatewayStatusMutator", () => {
  it("addresses the namespaced status subresource", () => {
    expect(mutator.statusPath(desired(), observed(undefined))).toBe(
      "/apis/gateway.networking.k8s.io/v1/namespaces/infra/gateways/kong/status",
    );
  });

  it.each(
    satisfiedCases([
      ["no status", undefined, false],
      ["the CRD's default Pending", crdDefault, false],
      ["exactly ours", written(), true],
      [
        "ours, with the group left to the CRD's default",
        written({ listener: { supportedKinds: KINDS.map(k => ({ kind: k.kind })) } }),
        true,
      ],
      [
        "ours, with the address type left to the CRD's default",
        written({
          status: {
            addresses: [{ value: "192.0.2.10" }, { type: "Hostname", value: "kong.example.com" }],
          },
        }),
        true,
      ],
      [
        "ours next to another's condition",
        written({ status: { conditions: [foreign, ...written().conditions] } }),
        true,
      ],
      ["another attachedRoutes count", written({ listener: { attachedRoutes: 0 } }), false],
      ["an address missing", written({ status: { addresses: [] } }), false],
      [
        "a listener condition of an older generation",
        written({ listener: { conditions: listenerConditions({ observedGeneration: 1 }) } }),
        false,
      ],
      [
        "a listener condition of a newer generation (never regressed)",
        written({
          listener: {
            attachedRoutes: 9,
            conditions: listenerConditions({ observedGeneration: 3 }),
          },
        }),
        true,
      ],
      [
        "an entry for a listener no longer in the spec",
        written({
          status: {
            listeners: [
              ...written().listeners,
              { name: "gone", supportedKinds: [], attachedRoutes: 0, conditions: [] },
            ],
          },
        }),
        false,
      ],
    ]),
  )("$name → satisfied: $satisfied", ({ status, satisfied }) => {
    expect(mutator.satisfied(desired(), observed(status))).toBe(satisfied);
  });

  it("replaces the CRD's default with every part, guarded by the version it read", () => {
    expect(mutator.patch(desired(), observed(crdDefault), NOW)).toEqual({
      metadata: { resourceVersion: "11" },
      status: written({
        status: {
          conditions: [
            cond("Accepted", "True", "Accepted", { lastTransitionTime: NOW_TEXT }),
            cond("Programmed", "True", "Programmed", { lastTransitionTime: NOW_TEXT }),
          ],
        },
        listener: { conditions: listenerConditions({ lastTransitionTime: NOW_TEXT }) },
      }),
    });
  });

  it("leaves the addresses alone while the published ones are unknown", () => {
    const pending = desired({ addresses: null });
    const patch = mutator.patch(pending, observed(written()), NOW) as { status: object };
    expect(patch.status).not.toHaveProperty("addresses");
    expect(mutator.satisfied(pending, observed(written({ status: { addresses: [] } })))).toBe(true);
  });

  it("merges each listener's conditions by name: others' kept, ours no longer decided removed, times kept", () => {
    const status = written({
      listener: {
        conditions: [
          foreign,
          ...listenerConditions(),
          cond("OverlappingTLSConfig", "True", "OverlappingHostnames"),
        ],
      },
      status: {
        listeners: [
          { name: "admin", supportedKinds: [], attachedRoutes: 0, conditions: [foreign] },
          {
            name: "http",
            supportedKinds: KINDS,
            attachedRoutes: 1,
            conditions: [
              foreign,
              ...listenerConditions(),
              cond("OverlappingTLSConfig", "True", "OverlappingHostnames"),
            ],
          },
        ],
      },
    });
    const bumped = desired({ generation: 3, listeners: [HTTP, ADMIN] });
    const patch = mutator.patch(bumped, observed(status, 3), NOW) as {
      status: { listeners: { name: string; conditions: object[] }[] };
    };
    // Spec order; the admin entry keeps the other controller's condition and gains ours.
    expect(patch.status.listeners.map(l => l.name)).toEqual(["http", "admin"]);
    expect(patch.status.listeners[0]?.conditions).toEqual([
      foreign,
      ...listenerConditions({ observedGeneration: 3 }),
    ]);
    expect(patch.status.listeners[1]?.conditions[0]).toEqual(foreign);
    expect(patch.status.listeners[1]?.conditions).toHaveLength(5);
  });

  it("writes what it then finds satisfied", () => {
    const { status } = mutator.patch(desired(), observed(crdDefault), NOW) as { status: object };
    expect(mutator.satisfied(desired(), observed(status))).toBe(true);
  });

  it("tells repeats of one desired status from changes", () => {
    expect(mutator.same(desired(), desired())).toBe(true);
    expect(mutator.same(desired(), desired({ addresses: null }))).toBe(false);
    expect(mutator.same(desired(), desired({ generation: 3 }))).toBe(false);
  });
});
