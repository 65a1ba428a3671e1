import { describe, expect, it } from "vitest";
import { ENDPOINT_SLICE, INGRESS, SECRET, SERVICE } from "../../../src/kube/kinds.ts";
import { trimObject } from "../../../src/kube/trim.ts";

const metadata = {
  name: "web",
  namespace: "shop",
  uid: "u1",
  resourceVersion: "7",
  generation: 2,
  creationTimestamp: "2026-01-01T00:00:00Z",
  labels: { app: "web" },
  annotations: {
    "konghq.com/strip-path": "true",
    "kubectl.kubernetes.io/last-applied-configuration": '{"huge":"copy"}',
  },
  managedFields: [{ manager: "kubectl", fieldsV1: {} }],
  ownerReferences: [{ kind: "Deployment", name: "web" }],
  selfLink: "/x",
};

describe("trimObject", () => {
  it("keeps a PartialObjectMetadata as metadata only, so it is never taken for an object without content", () => {
    const out = trimObject(SECRET, {
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata,
    });
    expect(out).toEqual({
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: {
        name: "web",
        namespace: "shop",
        uid: "u1",
        resourceVersion: "7",
        generation: 2,
        creationTimestamp: "2026-01-01T00:00:00Z",
        labels: { app: "web" },
        annotations: { "konghq.com/strip-path": "true" },
      },
    });
  });

  it("keeps translation's metadata and drops managedFields and the last-applied copy", () => {
    const out = trimObject(INGRESS, {
      metadata,
      spec: { rules: [] },
      status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] }, somethingElse: {} },
    });
    expect(out).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "web",
        namespace: "shop",
        uid: "u1",
        resourceVersion: "7",
        generation: 2,
        creationTimestamp: "2026-01-01T00:00:00Z",
        labels: { app: "web" },
        annotations: { "konghq.com/strip-path": "true" },
      },
      spec: { rules: [] },
      // The status writer compares against the load balancer we publish; nothing else is ours.
      status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
    });
  });

  it("keeps only the load balancer part of a Service status", () => {
    const out = trimObject(SERVICE, {
      metadata: { name: "s" },
      spec: { ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] }, conditions: [{ type: "x" }] },
    });
    expect(out).toMatchObject({ status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } });
    expect((out as { status: object }).status).not.toHaveProperty("conditions");
  });

  it("keeps addresses and conditions of EndpointSlice endpoints", () => {
    const out = trimObject(ENDPOINT_SLICE, {
      metadata: { name: "s-1" },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.0.0.1"], conditions: { ready: true }, nodeName: "n1", targetRef: {} },
      ],
      ports: [{ port: 8080 }],
    });
    expect(out).toEqual({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "s-1" },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
      ports: [{ port: 8080 }],
    });
  });

  it("keeps a Secret's type and data", () => {
    const out = trimObject(SECRET, {
      metadata: { name: "tls" },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Y3J0" },
      immutable: true,
    });
    expect(out).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "tls" },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Y3J0" },
    });
  });

  it.each([null, "text", 3, [1, 2]])("returns %j unchanged for the parser to reject", raw => {
    expect(trimObject(INGRESS, raw)).toBe(raw);
  });

  it("does not modify its input", () => {
    const input = { metadata: { ...metadata }, spec: {} };
    const copy = structuredClone(input);
    trimObject(INGRESS, input);
    expect(input).toEqual(copy);
  });
});
