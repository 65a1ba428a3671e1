import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import {
  resolvePublishAddresses,
  type LoadBalancerIngress,
  sameLoadBalancer,
  toLoadBalancerIngress,
} from "../../../src/status/ingress-address.ts";

const REF = { namespace: "kong", name: "proxy" };

function service(spec: Service["spec"], status?: Service["status"]): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "kong", name: "proxy" },
    spec,
    ...(status === undefined ? {} : { status }),
  };
}

describe("resolvePublishAddresses", () => {
  it.each<[string, Parameters<typeof resolvePublishAddresses>[0], unknown]>([
    [
      "status addresses win over the service",
      {
        statusAddresses: ["10.1.1.1", "lb.example.com", "10.1.1.1"],
        publishService: REF,
        service: service({ type: "ClusterIP", clusterIPs: ["10.96.0.9"] }),
      },
      { kind: "ready", ingress: [{ ip: "10.1.1.1" }, { hostname: "lb.example.com" }] },
    ],
    [
      "LoadBalancer ingress IPs and hostnames",
      {
        statusAddresses: [],
        publishService: REF,
        service: service(
          { type: "LoadBalancer", clusterIPs: ["10.96.0.9"] },
          {
            loadBalancer: {
              ingress: [
                { ip: "203.0.113.7" },
                { hostname: "a.elb.example" },
                { ip: "203.0.113.7", hostname: "b.example" },
              ],
            },
          },
        ),
      },
      {
        kind: "ready",
        ingress: [{ ip: "203.0.113.7" }, { hostname: "a.elb.example" }, { hostname: "b.example" }],
      },
    ],
    [
      "a LoadBalancer still provisioning",
      {
        statusAddresses: [],
        publishService: REF,
        service: service({ type: "LoadBalancer", clusterIPs: ["10.96.0.9"] }),
      },
      {
        kind: "pending",
        reason: "waiting for addresses to be provisioned for publish service Service/kong/proxy",
      },
    ],
    [
      "cluster IPs for other types",
      {
        statusAddresses: [],
        publishService: REF,
        service: service({ type: "ClusterIP", clusterIPs: ["10.96.0.9", "fd00::9"] }),
      },
      { kind: "ready", ingress: [{ ip: "10.96.0.9" }, { ip: "fd00::9" }] },
    ],
    [
      "clusterIP when clusterIPs is absent",
      { statusAddresses: [], publishService: REF, service: service({ clusterIP: "10.96.0.10" }) },
      { kind: "ready", ingress: [{ ip: "10.96.0.10" }] },
    ],
    [
      "a headless service has none",
      {
        statusAddresses: [],
        publishService: REF,
        service: service({ clusterIP: "None", clusterIPs: ["None"] }),
      },
      {
        kind: "pending",
        reason: "waiting for addresses to be provisioned for publish service Service/kong/proxy",
      },
    ],
    [
      "a missing service",
      { statusAddresses: [], publishService: REF },
      { kind: "pending", reason: "publish service Service/kong/proxy not found" },
    ],
    [
      "nothing configured",
      { statusAddresses: [] },
      { kind: "pending", reason: "no publish address is configured" },
    ],
  ])("%s", (_name, opts, expected) => {
    expect(resolvePublishAddresses(opts)).toEqual(expected);
  });
});

describe("toLoadBalancerIngress", () => {
  it.each([
    ["10.0.0.1", { ip: "10.0.0.1" }],
    ["2001:db8::1", { ip: "2001:db8::1" }],
    ["lb.example.com", { hostname: "lb.example.com" }],
  ])("%s", (address, expected) => {
    expect(toLoadBalancerIngress(address)).toEqual(expected);
  });
});

describe("sameLoadBalancer", () => {
  // An explicit undefined is what a deserializer may leave behind; the type forbids writing it.
  const withUndefined = { ip: "1.1.1.1", hostname: undefined } as unknown as LoadBalancerIngress;
  it.each<[LoadBalancerIngress[], LoadBalancerIngress[], boolean]>([
    [[{ ip: "1.1.1.1" }], [{ ip: "1.1.1.1" }], true],
    [[withUndefined], [{ ip: "1.1.1.1" }], true],
    [[{ ip: "1.1.1.1" }], [{ hostname: "1.1.1.1" }], false],
    [[{ ip: "1.1.1.1" }, { ip: "2.2.2.2" }], [{ ip: "2.2.2.2" }, { ip: "1.1.1.1" }], false],
    [[], [], true],
    [[{ ip: "1.1.1.1" }], [], false],
  ])("%j vs %j is %s", (a, b, same) => {
    expect(sameLoadBalancer(a, b)).toBe(same);
  });
});
