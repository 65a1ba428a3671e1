import { describe, expect, it } from "vitest";
import { INGRESS } from "../../../src/kube/kinds.ts";
import { trimObject } from "../../../src/kube/trim.ts";
import { ingressStatusMutator, observedLoadBalancer } from "../../../src/status/ingress-status.ts";
import type { IngressDesiredStatus } from "../../../src/status/mutator.ts";
import { ObservedStatusIndex } from "../../../src/status/observed.ts";

const desired = (loadBalancer: IngressDesiredStatus["loadBalancer"]): IngressDesiredStatus => ({
  kind: "Ingress",
  namespace: "shop",
  name: "web",
  loadBalancer,
});

/** The observed status of an Ingress as the watch delivers it. */
function observedFrom(status: unknown) {
  const index = new ObservedStatusIndex();
  index.record(
    "Ingress",
    trimObject(INGRESS, {
      metadata: { name: "web", namespace: "shop", uid: "u", resourceVersion: "5" },
      spec: {},
      ...(status === undefined ? {} : { status }),
    }),
  );
  const seen = index.get("Ingress/shop/web");
  if (seen === undefined) throw new Error("not indexed");
  return seen;
}

describe("ingressStatusMutator", () => {
  it("addresses the status subresource, names escaped", () => {
    expect(ingressStatusMutator.statusPath(desired([]), observedFrom(undefined))).toBe(
      "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status",
    );
    expect(
      ingressStatusMutator.statusPath({ ...desired([]), name: "a/b" }, observedFrom(undefined)),
    ).toBe("/apis/networking.k8s.io/v1/namespaces/shop/ingresses/a%2Fb/status");
  });

  it("patches status.loadBalancer.ingress and nothing else", () => {
    const want = desired([{ ip: "10.0.0.1" }, { hostname: "lb.example.com" }]);
    expect(ingressStatusMutator.patch(want, observedFrom(undefined), 0)).toEqual({
      status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }, { hostname: "lb.example.com" }] } },
    });
    expect(ingressStatusMutator.patch(desired([]), observedFrom(undefined), 0)).toEqual({
      status: { loadBalancer: { ingress: [] } },
    });
  });

  it.each([
    ["no status at all", undefined, [], true],
    ["an empty load balancer", { loadBalancer: {} }, [], true],
    [
      "the same list",
      { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
      [{ ip: "10.0.0.1" }],
      true,
    ],
    [
      "another order",
      { loadBalancer: { ingress: [{ ip: "2" }, { ip: "1" }] } },
      [{ ip: "1" }, { ip: "2" }],
      false,
    ],
    [
      "ports someone else set",
      { loadBalancer: { ingress: [{ ip: "1", ports: [{ port: 80 }] }] } },
      [{ ip: "1" }],
      false,
    ],
    ["an address we do not publish", { loadBalancer: { ingress: [{ ip: "1" }] } }, [], false],
  ])("%s, satisfied: %s", (_name, status, loadBalancer, satisfied) => {
    expect(ingressStatusMutator.satisfied(desired(loadBalancer), observedFrom(status))).toBe(
      satisfied,
    );
  });

  it("tells repeats of one desired status from changes", () => {
    const same = ingressStatusMutator.same(desired([{ ip: "1" }]), desired([{ ip: "1" }]));
    const other = ingressStatusMutator.same(desired([{ ip: "1" }]), desired([{ ip: "2" }]));
    expect([same, other]).toEqual([true, false]);
  });

  it("reads whatever shape the cluster holds without throwing", () => {
    expect(observedLoadBalancer({ loadBalancer: { ingress: "nonsense" } })).toEqual([]);
    expect(observedLoadBalancer({ loadBalancer: { ingress: [{ ip: 7, hostname: "h" }] } })).toEqual(
      [{ hostname: "h" }],
    );
  });
});
