import { describe, expect, it } from "vitest";
import type { Ingress, KubeObject, Secret, Service } from "../../../src/model/k8s.ts";
import { buildSnapshot } from "../../../src/model/snapshot.ts";
import {
  DEFAULT_NAMESPACE,
  parseKubeObject,
  parseSupportedObject,
  type ParseResult,
} from "../../../src/model/parse.ts";

const svcBackend = { service: { name: "web", port: { number: 80 } } };

function ingress(spec: unknown, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "shop", namespace: "prod", ...metadata },
    spec,
  };
}

function secret(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "tls", namespace: "prod" },
    ...fields,
  };
}

function service(spec: unknown): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "prod" }, spec };
}

function parsedObject(raw: unknown): KubeObject {
  const result = parseKubeObject(raw);
  if (result.ok !== true) throw new Error(`expected a valid object: ${JSON.stringify(result)}`);
  return result.object;
}

function reasonOf(result: ParseResult): string {
  if (result.ok !== false) throw new Error(`expected a failure: ${JSON.stringify(result)}`);
  return result.reason;
}

describe("parseKubeObject: accepted kinds", () => {
  it.each([
    ["networking.k8s.io/v1", "Ingress", { spec: { rules: [] } }],
    ["networking.k8s.io/v1", "IngressClass", { spec: { controller: "x/y" } }],
    ["v1", "Service", { spec: { ports: [{ port: 80 }] } }],
    ["discovery.k8s.io/v1", "EndpointSlice", { addressType: "IPv4", endpoints: [] }],
    ["v1", "Secret", { type: "Opaque", data: {} }],
  ])("%s %s", (apiVersion, kind, fields) => {
    const raw = { apiVersion, kind, metadata: { name: "a", namespace: "ns" }, ...fields };
    const obj = parsedObject(raw);
    expect(obj.kind).toBe(kind);
    expect(obj.apiVersion).toBe(apiVersion);
    expect(obj.metadata.name).toBe("a");
  });

  it.each([
    ["networking.k8s.io/v1beta1", "Ingress"],
    ["extensions/v1beta1", "Ingress"],
    ["v1", "Endpoints"],
    ["v1", "Pod"],
    ["apps/v1", "Deployment"],
    ["gateway.networking.k8s.io/v1alpha2", "HTTPRoute"],
    ["gateway.networking.k8s.io/v1", "BackendTLSPolicy"],
    ["gateway.networking.k8s.io/v1beta1", "GRPCRoute"],
  ])("reports %s %s as unsupported", (apiVersion, kind) => {
    const result = parseKubeObject({ apiVersion, kind, metadata: { name: "x", namespace: "n" } });
    expect(result).toEqual({ ok: "unsupported", apiVersion, kind, namespace: "n", name: "x" });
  });

  it("reports an unsupported object without metadata with empty names", () => {
    expect(parseKubeObject({ apiVersion: "v1", kind: "Pod" })).toEqual({
      ok: "unsupported",
      apiVersion: "v1",
      kind: "Pod",
      namespace: "",
      name: "",
    });
  });
});

describe("parseKubeObject: invalid objects", () => {
  it.each([
    ["a string", "hello", "expected an object, got string"],
    ["null", null, "expected an object, got null"],
    ["an array", [1], "expected an object, got array"],
    ["no apiVersion", { kind: "Service", metadata: { name: "a" } }, "apiVersion: expected"],
    ["no kind", { apiVersion: "v1", metadata: { name: "a" } }, "kind: expected"],
  ])("rejects %s", (_label, raw, reason) => {
    expect(reasonOf(parseKubeObject(raw))).toContain(reason);
  });

  it.each([
    ["no metadata", { apiVersion: "v1", kind: "Service", spec: {} }, "metadata: required"],
    [
      "no name",
      { apiVersion: "v1", kind: "Service", metadata: { namespace: "a" } },
      "metadata.name: required",
    ],
    [
      "an empty name",
      { apiVersion: "v1", kind: "Service", metadata: { name: "" } },
      "metadata.name: must not be empty",
    ],
    [
      "a boolean annotation",
      ingress({}, { annotations: { "konghq.com/strip-path": true } }),
      'metadata.annotations["konghq.com/strip-path"]: expected string, got boolean',
    ],
    [
      "a backend with neither service nor resource",
      ingress({
        rules: [
          {
            http: {
              paths: [
                { path: "/", backend: svcBackend },
                { path: "/b", backend: {} },
              ],
            },
          },
        ],
      }),
      "spec.rules[0].http.paths[1].backend: expected service or resource",
    ],
    [
      "a backend with both service and resource",
      ingress({
        defaultBackend: { ...svcBackend, resource: { kind: "Bucket", name: "b" } },
      }),
      "spec.defaultBackend: expected service or resource, not both",
    ],
    [
      "a string port number",
      ingress({ defaultBackend: { service: { name: "web", port: { number: "80" } } } }),
      "spec.defaultBackend.service.port.number: expected number, got string",
    ],
    [
      "a fractional port",
      service({ ports: [{ port: 80.5 }] }),
      "spec.ports[0].port: expected integer, got number",
    ],
    [
      "a boolean targetPort",
      service({ ports: [{ port: 80, targetPort: true }] }),
      "spec.ports[0].targetPort: expected integer or string",
    ],
    [
      "a service port without port",
      service({ ports: [{ name: "http" }] }),
      "spec.ports[0].port: required",
    ],
    [
      "paths that are not a list",
      ingress({ rules: [{ http: { paths: "/" } }] }),
      "spec.rules[0].http.paths: expected array, got string",
    ],
    [
      "Secret data that is not base64",
      secret({ data: { "tls.crt": "not base64!" } }),
      'data["tls.crt"]: expected base64',
    ],
    [
      "an EndpointSlice endpoint without addresses",
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "s", namespace: "n" },
        endpoints: [{ conditions: { ready: true } }],
      },
      "endpoints[0].addresses: required",
    ],
  ])("rejects %s", (_label, raw, reason) => {
    expect(reasonOf(parseKubeObject(raw))).toBe(reason);
  });

  it("names the object it rejects", () => {
    const result = parseKubeObject(ingress({ defaultBackend: {} }));
    expect(result).toMatchObject({ ok: false, kind: "Ingress", namespace: "prod", name: "shop" });
  });

  it("lists at most three problems and counts the rest", () => {
    const paths = [1, 2, 3, 4, 5].map(i => ({ path: `/${i}`, backend: {} }));
    const reason = reasonOf(parseKubeObject(ingress({ rules: [{ http: { paths } }] })));
    expect(reason.split("; ")).toHaveLength(4);
    expect(reason).toMatch(/; and 2 more$/);
  });
});

describe("parseKubeObject: normalisation", () => {
  it("drops fields translation does not read", () => {
    const raw = {
      ...ingress({ rules: [], extra: 1 }),
      status: { loadBalancer: {} },
      metadata: {
        name: "shop",
        namespace: "prod",
        managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }],
        finalizers: ["x"],
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": "{}",
          "konghq.com/strip-path": "true",
        },
      },
    };
    expect(parsedObject(raw)).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "shop",
        namespace: "prod",
        annotations: { "konghq.com/strip-path": "true" },
      },
      spec: { rules: [] },
    });
  });

  it("treats null fields as absent, as the API server does", () => {
    const raw = {
      ...ingress(null),
      metadata: { name: "shop", creationTimestamp: null, labels: null },
    };
    expect(parsedObject(raw)).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "shop", namespace: DEFAULT_NAMESPACE },
      spec: {},
    });
  });

  it.each([
    ["a namespaced object without namespace", "v1", "Service", undefined, DEFAULT_NAMESPACE],
    ["a namespaced object with an empty namespace", "v1", "Service", "", DEFAULT_NAMESPACE],
    ["a namespaced object with a namespace", "v1", "Service", "team-a", "team-a"],
    [
      "a cluster-scoped object with a namespace",
      "networking.k8s.io/v1",
      "IngressClass",
      "x",
      undefined,
    ],
  ])("places %s", (_label, apiVersion, kind, namespace, expected) => {
    const metadata = namespace === undefined ? { name: "a" } : { name: "a", namespace };
    expect(parsedObject({ apiVersion, kind, metadata }).metadata.namespace).toBe(expected);
  });

  it("folds stringData into base64 data, stringData winning", () => {
    const raw = secret({
      data: { a: Buffer.from("old").toString("base64"), b: "Yg==" },
      stringData: { a: "new", c: "ç" },
    });
    const obj = parsedObject(raw) as Secret;
    expect(obj.data).toEqual({
      a: Buffer.from("new").toString("base64"),
      b: "Yg==",
      c: Buffer.from("ç", "utf8").toString("base64"),
    });
    expect(obj).not.toHaveProperty("stringData");
  });

  it("removes the line breaks Go's base64 decoder skips", () => {
    const obj = parsedObject(secret({ data: { k: "aGVs\nbG8=\r\n" } })) as Secret;
    expect(obj.data).toEqual({ k: "aGVsbG8=" });
  });

  it("keeps what translation reads", () => {
    const raw = service({
      type: "ClusterIP",
      clusterIP: "10.0.0.1",
      sessionAffinity: "None",
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
    });
    const obj = parsedObject({
      ...raw,
      status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } },
    });
    expect(obj as Service).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "prod" },
      spec: {
        type: "ClusterIP",
        clusterIP: "10.0.0.1",
        ports: [
          { name: "http", port: 80, targetPort: "http", protocol: "TCP", appProtocol: "http" },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } },
    });
  });

  it("does not modify its input", () => {
    const raw = secret({ stringData: { a: "b" }, metadata: { name: "s" } });
    const copy = structuredClone(raw);
    parseKubeObject(raw);
    expect(raw).toEqual(copy);
  });
});

describe("parseSupportedObject", () => {
  it.each([
    [service({}), { ok: true }],
    [
      { apiVersion: "v1", kind: "Pod", metadata: { name: "c" } },
      { ok: false, reason: "unsupported: v1 Pod" },
    ],
    [service({ ports: "x" }), { ok: false, reason: "spec.ports: expected array, got string" }],
  ])("%#", (raw, expected) => {
    expect(parseSupportedObject(raw)).toMatchObject(expected);
  });
});

describe("buildSnapshot", () => {
  const objects = [
    service({ ports: [{ port: 2 }] }),
    { ...service({}), metadata: { name: "b", namespace: "a" } },
    { ...service({}), metadata: { name: "a", namespace: "b" } },
    { ...service({}), metadata: { name: "a", namespace: "a" } },
    ingress({}),
    { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "kong" } },
    secret({}),
    { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "e" } },
    service({ ports: [{ port: 1 }] }),
  ].map(parsedObject);

  it("groups by kind and sorts by namespace, then name", () => {
    const snap = buildSnapshot(objects);
    expect(snap.services.map(s => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual([
      "a/a",
      "a/b",
      "b/a",
      "prod/web",
    ]);
    expect(snap.ingresses.map(i => i.metadata.name)).toEqual(["shop"]);
    expect(snap.ingressClasses.map(i => i.metadata.name)).toEqual(["kong"]);
    expect(snap.secrets.map(s => s.metadata.name)).toEqual(["tls"]);
    expect(snap.endpointSlices.map(s => s.metadata.name)).toEqual(["e"]);
  });

  it("keeps the later of two objects with the same name", () => {
    const web = buildSnapshot(objects).services.find(s => s.metadata.name === "web");
    expect(web?.spec.ports).toEqual([{ port: 1 }]);
  });

  it("deep-freezes what it returns", () => {
    const snap = buildSnapshot(objects);
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.ingresses)).toBe(true);
    expect(Object.isFrozen((snap.ingresses[0] as Ingress).spec)).toBe(true);
  });

  it("leaves out kinds it does not know", () => {
    const other = { apiVersion: "v1", kind: "Pod", metadata: { name: "c" } } as KubeObject;
    const snap = buildSnapshot([other]);
    expect(Object.values(snap).flat()).toEqual([]);
  });
});

describe("parseKubeObject: Gateway API", () => {
  const gateway = "gateway.networking.k8s.io";
  const specs: Record<string, unknown> = {
    GatewayClass: { controllerName: "konghq.com/kic-gateway-controller" },
    Gateway: {
      gatewayClassName: "kong",
      listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
    },
    HTTPRoute: {
      parentRefs: [{ name: "kong" }],
      rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
    },
    GRPCRoute: {
      parentRefs: [{ name: "kong" }],
      rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
    },
    TCPRoute: {
      parentRefs: [{ name: "kong" }],
      rules: [{ backendRefs: [{ name: "db", port: 5432 }] }],
    },
    UDPRoute: {
      parentRefs: [{ name: "kong" }],
      rules: [{ backendRefs: [{ name: "dns", port: 53 }] }],
    },
    TLSRoute: { hostnames: ["a.example"], rules: [{ backendRefs: [{ name: "tls", port: 443 }] }] },
    ReferenceGrant: {
      from: [{ group: gateway, kind: "HTTPRoute", namespace: "apps" }],
      to: [{ group: "", kind: "Service" }],
    },
  };

  it.each([
    ["v1", "GatewayClass"],
    ["v1beta1", "GatewayClass"],
    ["v1", "Gateway"],
    ["v1beta1", "Gateway"],
    ["v1", "HTTPRoute"],
    ["v1beta1", "HTTPRoute"],
    ["v1", "GRPCRoute"],
    ["v1", "TCPRoute"],
    ["v1alpha2", "TCPRoute"],
    ["v1", "UDPRoute"],
    ["v1alpha2", "UDPRoute"],
    ["v1", "TLSRoute"],
    ["v1alpha3", "TLSRoute"],
    ["v1alpha2", "TLSRoute"],
    ["v1", "ReferenceGrant"],
    ["v1beta1", "ReferenceGrant"],
  ])("reads %s %s and keeps the version it came in", (version, kind) => {
    const apiVersion = `${gateway}/${version}`;
    const obj = parsedObject({ apiVersion, kind, metadata: { name: "a" }, spec: specs[kind] });
    expect(obj.apiVersion).toBe(apiVersion);
    expect(obj.kind).toBe(kind);
    // GatewayClass is cluster-scoped; the rest land in `default` like any namespaced object.
    expect(obj.metadata.namespace).toBe(kind === "GatewayClass" ? undefined : "default");
  });

  it.each([
    [
      "a listener without a port",
      {
        kind: "Gateway",
        spec: { gatewayClassName: "kong", listeners: [{ name: "h", protocol: "HTTP" }] },
      },
      "spec.listeners[0].port: required",
    ],
    [
      "a backendRef without a name",
      { kind: "HTTPRoute", spec: { rules: [{ backendRefs: [{ port: 80 }] }] } },
      "spec.rules[0].backendRefs[0].name: required",
    ],
    [
      "a GatewayClass without a controllerName",
      { kind: "GatewayClass", spec: {} },
      "spec.controllerName: required",
    ],
  ])("rejects %s, saying where", (_what, partial, reason) => {
    const result = parseKubeObject({
      apiVersion: `${gateway}/v1`,
      metadata: { name: "bad", namespace: "apps" },
      ...partial,
    });
    expect(result).toMatchObject({ ok: false, kind: partial.kind, name: "bad", reason });
  });
});
