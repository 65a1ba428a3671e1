import { describe, expect, it } from "vitest";
import {
  ENDPOINT_SLICE,
  INGRESS,
  INGRESS_CLASS,
  INGRESS_KINDS,
  SECRET,
  SERVICE,
  apiVersionOf,
  collectionPath,
  scopeLabel,
  watchScopes,
} from "../../../src/kube/kinds.ts";

describe("collectionPath", () => {
  it.each([
    { kind: INGRESS, ns: undefined, path: "/apis/networking.k8s.io/v1/ingresses" },
    { kind: INGRESS, ns: "team-a", path: "/apis/networking.k8s.io/v1/namespaces/team-a/ingresses" },
    { kind: SERVICE, ns: undefined, path: "/api/v1/services" },
    { kind: SECRET, ns: "x", path: "/api/v1/namespaces/x/secrets" },
    {
      kind: ENDPOINT_SLICE,
      ns: "x",
      path: "/apis/discovery.k8s.io/v1/namespaces/x/endpointslices",
    },
    // Cluster-scoped kinds ignore the namespace.
    { kind: INGRESS_CLASS, ns: "x", path: "/apis/networking.k8s.io/v1/ingressclasses" },
  ])("$kind.kind in $ns → $path", ({ kind, ns, path }) => {
    expect(collectionPath(kind, ns)).toBe(path);
  });

  it.each([
    { kind: SERVICE, apiVersion: "v1" },
    { kind: INGRESS, apiVersion: "networking.k8s.io/v1" },
  ])("apiVersion of $kind.kind is $apiVersion", ({ kind, apiVersion }) => {
    expect(apiVersionOf(kind)).toBe(apiVersion);
  });
});

describe("watchScopes", () => {
  it("has one cluster-wide scope per kind when every namespace is watched", () => {
    expect(watchScopes(INGRESS_KINDS, []).map(scopeLabel)).toEqual([
      "IngressClass",
      "Ingress",
      "Service",
      "EndpointSlice",
      "Secret",
      "ConfigMap",
      "Namespace",
    ]);
  });

  it("has one scope per namespace for namespaced kinds, deduplicated and sorted", () => {
    expect(watchScopes([INGRESS_CLASS, INGRESS, SECRET], ["b", "a", "b"]).map(scopeLabel)).toEqual([
      "IngressClass",
      "Ingress@a",
      "Ingress@b",
      "Secret@a",
      "Secret@b",
    ]);
  });
});
