import { describe, expect, it } from "vitest";
import { decideStatus, echoed, type WrittenStatus } from "../../../src/status/decision.ts";
import type { LoadBalancerIngress } from "../../../src/status/ingress-address.ts";
import { ingressStatusMutator } from "../../../src/status/ingress-status.ts";
import type { IngressDesiredStatus } from "../../../src/status/mutator.ts";
import type { ObservedStatus } from "../../../src/status/observed.ts";

const A: readonly LoadBalancerIngress[] = [{ ip: "10.0.0.1" }];
const B: readonly LoadBalancerIngress[] = [{ hostname: "lb.example.com" }];

const desired = (loadBalancer = A, uid?: string): IngressDesiredStatus => ({
  kind: "Ingress",
  namespace: "shop",
  name: "web",
  ...(uid === undefined ? {} : { uid }),
  loadBalancer,
});

const observed = (
  loadBalancer: readonly object[],
  resourceVersion = "10",
  uid = "u-1",
): ObservedStatus => ({
  apiVersion: "networking.k8s.io/v1",
  uid,
  resourceVersion,
  generation: 1,
  status:
    loadBalancer.length === 0 ? { loadBalancer: {} } : { loadBalancer: { ingress: loadBalancer } },
});

const written = (
  loadBalancer: readonly LoadBalancerIngress[],
  resourceVersion: string,
): WrittenStatus => ({
  desired: desired(loadBalancer),
  resourceVersion,
});

describe("decideStatus", () => {
  it.each<
    [string, IngressDesiredStatus, ObservedStatus | undefined, WrittenStatus | undefined, string]
  >([
    ["the watch shows it", desired(A), observed(A), undefined, "satisfied"],
    ["the watch shows nothing yet", desired(A), observed([]), undefined, "write"],
    ["the watch shows another address", desired(A), observed(B), undefined, "write"],
    [
      "the watch shows ours plus ports",
      desired(A),
      observed([{ ip: "10.0.0.1", ports: [{ port: 80 }] }]),
      undefined,
      "write",
    ],
    [
      "the empty list is wanted and there is none",
      desired([]),
      observed([]),
      undefined,
      "satisfied",
    ],
    ["the object is not in the watch cache", desired(A), undefined, undefined, "absent"],
    [
      "the name now belongs to another object",
      desired(A, "u-old"),
      observed([], "10", "u-new"),
      undefined,
      "absent",
    ],
    ["the same uid", desired(A, "u-1"), observed(A, "10", "u-1"), undefined, "satisfied"],
    [
      "we wrote it, the watch is behind",
      desired(A),
      observed([], "10"),
      written(A, "11"),
      "awaiting-echo",
    ],
    [
      "we wrote something else, the watch is behind",
      desired(A),
      observed([], "10"),
      written(B, "11"),
      "write",
    ],
    [
      "we wrote it, the watch is past it: someone changed it",
      desired(A),
      observed(B, "12"),
      written(A, "11"),
      "write",
    ],
    [
      "we wrote it, the watch shows exactly our version",
      desired(A),
      observed(A, "11"),
      written(A, "11"),
      "satisfied",
    ],
  ])("%s → %s", (_name, want, seen, ours, decision) => {
    expect(
      decideStatus({ mutator: ingressStatusMutator, desired: want, observed: seen, written: ours }),
    ).toBe(decision);
  });
});

describe("echoed", () => {
  it.each([
    ["11", "11", true],
    ["12", "11", true],
    ["10", "11", false],
    // Decimal revisions compare as numbers, not strings.
    ["9", "10", false],
    ["100000000000000000001", "100000000000000000000", true],
    // Not decimal: order is unknown, so any other version counts as caught up (a possible double
    // write, never a stuck status).
    ["abc", "abd", true],
  ])("observed %s, written %s → %s", (seen, ours, result) => {
    expect(echoed(seen, ours)).toBe(result);
  });
});
