/**
 * Gateway API attachment and statuses, computed from parsed manifests as the store would hold them:
 * each case is one of the conformance suite's status-level situations, checked on the conditions it
 * produces.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseKubeObject } from "../../../../src/model/parse.ts";
import { buildSnapshot } from "../../../../src/model/snapshot.ts";
import type { KubeObject } from "../../../../src/model/k8s.ts";
import type { ConditionSpec } from "../../../../src/translator/gateway/conditions.ts";
import { evaluateGatewayApi, gatewayStatuses } from "../../../../src/translator/gateway/index.ts";
import type { ListenerSupportOf } from "../../../../src/translator/gateway/listeners.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../../src/translator/index.ts";

const G = "gateway.networking.k8s.io";
const OURS = "konghq.com/kic-gateway-controller";
const pem = (name: string) =>
  Buffer.from(readFileSync(new URL(`../../../fixtures/certs/${name}`, import.meta.url))).toString(
    "base64",
  );

function parsed(raw: unknown): KubeObject {
  const result = parseKubeObject(raw);
  if (result.ok !== true) throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.object;
}

const gatewayClass = (controllerName = OURS) => ({
  apiVersion: `${G}/v1`,
  kind: "GatewayClass",
  metadata: { name: "kong", generation: 1 },
  spec: { controllerName },
});

const gateway = (listeners: object[], namespace = "infra") => ({
  apiVersion: `${G}/v1`,
  kind: "Gateway",
  metadata: { name: "kong", namespace, generation: 2 },
  spec: { gatewayClassName: "kong", listeners },
});

const http = { name: "http", port: 80, protocol: "HTTP" };
const allNamespaces = { namespaces: { from: "All" } };

const route = (kind: string, spec: object, namespace = "infra") => ({
  apiVersion: `${G}/v1`,
  kind,
  metadata: { name: "r", namespace, generation: 3 },
  spec,
});

const service = (name: string, namespace = "infra", port = 80) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace },
  spec: { ports: [{ port }] },
});

const tlsSecret = (name: string, namespace: string) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace },
  type: "kubernetes.io/tls",
  data: { "tls.crt": pem("shop.crt"), "tls.key": pem("shop.key") },
});

const grant = (from: object, to: object, namespace: string) => ({
  apiVersion: `${G}/v1beta1`,
  kind: "ReferenceGrant",
  metadata: { name: "g", namespace },
  spec: { from: [from], to: [to] },
});

/** The evaluation, and the Gateways' statuses as its route statuses alone make them. */
function evaluate(objects: unknown[], support?: ListenerSupportOf) {
  const snapshot = buildSnapshot(objects.map(parsed));
  const evaluation = evaluateGatewayApi(snapshot, {
    controllerName: OURS,
    ...(support === undefined ? {} : { support }),
  });
  const { gateways, routes } = evaluation;
  return {
    ...evaluation,
    gatewayStatuses: gatewayStatuses(
      gateways,
      routes,
      routes.map(r => r.status),
    ),
  };
}

type ConditionType = "Accepted" | "Programmed" | "ResolvedRefs" | "Conflicted";

/** `{ type: "status/reason" }`, the way conformance reads conditions. */
const brief = (conditions: readonly ConditionSpec[]): Partial<Record<ConditionType, string>> =>
  Object.fromEntries(conditions.map(c => [c.type, `${c.status}/${c.reason}`]));

describe("GatewayClass", () => {
  it("accepts a class naming our controller, with the features we support", () => {
    const [status] = evaluate([gatewayClass()]).classes;
    expect(status?.name).toBe("kong");
    expect(brief(status?.conditions ?? [])).toEqual({ Accepted: "True/Accepted" });
    expect(status?.supportedFeatures).toContain("HTTPRoute");
  });

  it("leaves a class of another controller alone, and its Gateways", () => {
    const result = evaluate([gatewayClass("example.com/other"), gateway([http])]);
    expect(result.classes).toEqual([]);
    expect(result.gatewayStatuses).toEqual([]);
  });
});

describe("Gateway listeners", () => {
  it("accepts and programs a valid HTTP listener and counts the route attached to it", () => {
    const result = evaluate([
      gatewayClass(),
      gateway([http]),
      service("web"),
      route("HTTPRoute", {
        parentRefs: [{ name: "kong" }],
        rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
      }),
    ]);
    const [status] = result.gatewayStatuses;
    expect(brief(status?.conditions ?? [])).toEqual({
      Accepted: "True/Accepted",
      Programmed: "True/Programmed",
    });
    expect(status?.listeners[0]).toMatchObject({
      name: "http",
      attachedRoutes: 1,
      supportedKinds: [
        { group: G, kind: "HTTPRoute" },
        { group: G, kind: "GRPCRoute" },
      ],
    });
    expect(brief(status?.listeners[0]?.conditions ?? [])).toEqual({
      Accepted: "True/Accepted",
      Conflicted: "False/NoConflicts",
      ResolvedRefs: "True/ResolvedRefs",
      Programmed: "True/Programmed",
    });
  });

  it.each([
    ["a certificate in another namespace without a grant", [], "False/RefNotPermitted"],
    [
      "a certificate in another namespace with a grant",
      [
        grant(
          { group: G, kind: "Gateway", namespace: "infra" },
          { group: "", kind: "Secret" },
          "certs",
        ),
      ],
      "True/ResolvedRefs",
    ],
    [
      "a grant for another Secret only (GatewaySecretReferenceGrantSpecific)",
      [
        grant(
          { group: G, kind: "Gateway", namespace: "infra" },
          { group: "", kind: "Secret", name: "other" },
          "certs",
        ),
      ],
      "False/RefNotPermitted",
    ],
  ])("HTTPS listener with %s", (_what, extra, resolvedRefs) => {
    const https = {
      name: "https",
      port: 443,
      protocol: "HTTPS",
      tls: { certificateRefs: [{ name: "tls", namespace: "certs" }] },
    };
    const result = evaluate([
      gatewayClass(),
      gateway([https]),
      tlsSecret("tls", "certs"),
      ...extra,
    ]);
    const listener = result.gatewayStatuses[0]?.listeners[0];
    expect(brief(listener?.conditions ?? []).ResolvedRefs).toBe(resolvedRefs);
    expect(brief(listener?.conditions ?? []).Programmed).toBe(
      resolvedRefs.startsWith("True") ? "True/Programmed" : "False/Invalid",
    );
  });

  it("calls every bad certificateRef InvalidCertificateRef (GatewayInvalidTLSConfiguration)", () => {
    const https = (name: string, ref: object) => ({
      name,
      port: 443,
      protocol: "HTTPS",
      hostname: `${name}.example`,
      tls: { certificateRefs: [ref] },
    });
    const malformed = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "malformed", namespace: "infra" },
      data: { "tls.crt": Buffer.from("nope").toString("base64") },
    };
    const result = evaluate([
      gatewayClass(),
      gateway([
        https("missing", { name: "nonexistent" }),
        https("group", { group: "wrong.group.company.io", kind: "Secret", name: "tls" }),
        https("kind", { kind: "WrongKind", name: "tls" }),
        https("malformed", { name: "malformed" }),
      ]),
      malformed,
      tlsSecret("tls", "infra"),
    ]);
    const reasons = result.gatewayStatuses[0]?.listeners.map(l => brief(l.conditions).ResolvedRefs);
    expect(reasons).toEqual(Array(4).fill("False/InvalidCertificateRef"));
  });

  it("leaves unsupported route kinds out of supportedKinds and says so (GatewayInvalidRouteKind)", () => {
    const listener = {
      ...http,
      allowedRoutes: { kinds: [{ kind: "FooRoute" }, { kind: "HTTPRoute" }] },
    };
    const status = evaluate([gatewayClass(), gateway([listener])]).gatewayStatuses[0];
    expect(status?.listeners[0]?.supportedKinds).toEqual([{ group: G, kind: "HTTPRoute" }]);
    expect(brief(status?.listeners[0]?.conditions ?? []).ResolvedRefs).toBe(
      "False/InvalidRouteKinds",
    );
  });

  it("marks listeners of clashing protocols on one port Conflicted, keeping the first", () => {
    const status = evaluate([
      gatewayClass(),
      gateway([http, { name: "tcp", port: 80, protocol: "TCP" }, { ...http, name: "http2" }]),
    ]).gatewayStatuses[0];
    expect(status?.listeners.map(l => brief(l.conditions).Conflicted)).toEqual([
      "False/NoConflicts",
      "True/ProtocolConflict",
      "True/HostnameConflict",
    ]);
  });

  it("is Pending, never UnsupportedProtocol, while Kong's listens are unknown (incident d)", () => {
    const unknown: ListenerSupportOf = () => ({
      state: "pending",
      message: "no Kong has answered",
    });
    const status = evaluate([gatewayClass(), gateway([http])], unknown).gatewayStatuses[0];
    expect(brief(status?.listeners[0]?.conditions ?? [])).toMatchObject({
      Accepted: "True/Accepted",
      Programmed: "False/Pending",
    });
    expect(brief(status?.conditions ?? []).Programmed).toBe("False/Pending");
  });

  it("is UnsupportedProtocol only when Kong is known to have no such listen", () => {
    const known: ListenerSupportOf = () => ({
      state: "unsupported",
      reason: "UnsupportedProtocol",
      message: "no Kong listen with the requested protocol is configured",
    });
    const status = evaluate([gatewayClass(), gateway([http])], known).gatewayStatuses[0];
    expect(brief(status?.listeners[0]?.conditions ?? []).Accepted).toBe(
      "False/UnsupportedProtocol",
    );
    expect(brief(status?.conditions ?? []).Accepted).toBe("False/ListenersNotValid");
  });
});

describe("route attachment", () => {
  const tcp = { name: "tcp", port: 9000, protocol: "TCP", allowedRoutes: allNamespaces };
  const udp = {
    name: "udp",
    port: 5300,
    protocol: "UDP",
    allowedRoutes: { kinds: [{ kind: "TCPRoute" }] },
  };
  const tls = {
    name: "tls",
    port: 8443,
    protocol: "TLS",
    hostname: "*.example.com",
    tls: { mode: "Passthrough" },
  };

  it.each([
    [
      "a route in another namespace where the listener allows only its own (HTTPRouteInvalidCrossNamespaceParentRef)",
      route("HTTPRoute", { parentRefs: [{ name: "kong", namespace: "infra" }] }, "apps"),
      "False/NotAllowedByListeners",
    ],
    [
      "a sectionName no listener has (HTTPRouteInvalidParentRefNotMatchingSectionName)",
      route("HTTPRoute", { parentRefs: [{ name: "kong", sectionName: "nope" }] }),
      "False/NoMatchingParent",
    ],
    [
      "a TCPRoute naming an HTTP listener (TCPRouteInvalidNonTCPListener)",
      route("TCPRoute", {
        parentRefs: [{ name: "kong", sectionName: "http" }],
        rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
      }),
      "False/NotAllowedByListeners",
    ],
    [
      "a UDPRoute where the UDP listener allows only TCPRoutes (UDPRouteNotAllowedByListeners)",
      route("UDPRoute", {
        parentRefs: [{ name: "kong", sectionName: "udp" }],
        rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
      }),
      "False/NotAllowedByListeners",
    ],
    [
      "a TLSRoute whose hostnames the listener does not take (TLSRouteInvalidNoMatchingListenerHostname)",
      route("TLSRoute", {
        parentRefs: [{ name: "kong", sectionName: "tls" }],
        hostnames: ["foo.other.org"],
        rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
      }),
      "False/NoMatchingListenerHostname",
    ],
    [
      "a TCPRoute from another namespace on a listener allowing all",
      route(
        "TCPRoute",
        {
          parentRefs: [{ name: "kong", namespace: "infra", sectionName: "tcp" }],
          rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
        },
        "apps",
      ),
      "True/Accepted",
    ],
  ])("%s", (_what, r, accepted) => {
    const result = evaluate([gatewayClass(), gateway([http, tcp, udp, tls]), r]);
    const parents = result.routes[0]?.status.parents ?? [];
    expect(parents).toHaveLength(1);
    expect(brief(parents[0]?.conditions ?? []).Accepted).toBe(accepted);
  });

  it("gives no status entry for parents that are not our Gateways", () => {
    const result = evaluate([
      gatewayClass(),
      gateway([http]),
      route("HTTPRoute", {
        parentRefs: [{ name: "missing" }, { name: "kong", kind: "Service", group: "" }],
      }),
    ]);
    expect(result.routes[0]?.status.parents).toEqual([]);
  });

  it("narrows hostnames to the listener's, the more specific of each pair", () => {
    const result = evaluate([
      gatewayClass(),
      gateway([{ ...http, hostname: "*.example.com" }]),
      route("HTTPRoute", {
        parentRefs: [{ name: "kong" }],
        hostnames: ["a.example.com", "*.b.example.com", "other.org"],
      }),
    ]);
    expect(result.routes[0]?.parents[0]?.attachments[0]?.hostnames).toEqual([
      "a.example.com",
      "*.b.example.com",
    ]);
  });

  it.each([
    ["a missing Service", { name: "gone", port: 80 }, [], "False/BackendNotFound"],
    ["a port the Service lacks", { name: "web", port: 81 }, [], "False/BackendNotFound"],
    ["another kind", { name: "web", kind: "ConfigMap", group: "" }, [], "False/InvalidKind"],
    [
      "another namespace without a grant",
      { name: "web", namespace: "apps", port: 80 },
      [],
      "False/RefNotPermitted",
    ],
    [
      "another namespace with a grant",
      { name: "web", namespace: "apps", port: 80 },
      [
        grant(
          { group: G, kind: "HTTPRoute", namespace: "infra" },
          { group: "", kind: "Service" },
          "apps",
        ),
      ],
      "True/ResolvedRefs",
    ],
  ])("reports a backendRef to %s in ResolvedRefs", (_what, ref, extra, resolvedRefs) => {
    const result = evaluate([
      gatewayClass(),
      gateway([http]),
      service("web"),
      service("web", "apps"),
      route("HTTPRoute", { parentRefs: [{ name: "kong" }], rules: [{ backendRefs: [ref] }] }),
      ...extra,
    ]);
    const parent = result.routes[0]?.status.parents[0];
    expect(brief(parent?.conditions ?? [])).toEqual({
      Accepted: "True/Accepted",
      ResolvedRefs: resolvedRefs,
    });
  });
});

describe("routing through listeners", () => {
  it("counts a route once on a listener two of its parentRefs lead to", () => {
    const result = evaluate([
      gatewayClass(),
      gateway([http]),
      service("web"),
      route("HTTPRoute", {
        parentRefs: [{ name: "kong" }, { name: "kong", sectionName: "http" }],
        rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
      }),
    ]);
    expect(result.routes[0]?.status.parents).toHaveLength(2);
    expect(result.gatewayStatuses[0]?.listeners[0]?.attachedRoutes).toBe(1);
  });

  it("counts and accepts a route on a conflicted listener but gives it no Kong route there", () => {
    const objects = [
      gatewayClass(),
      gateway([http, { name: "clash", port: 80, protocol: "TCP" }]),
      service("web"),
      route("TCPRoute", {
        parentRefs: [{ name: "kong", sectionName: "clash" }],
        rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
      }),
    ];
    const result = translate(buildSnapshot(objects.map(parsed)), DEFAULT_TRANSLATE_OPTIONS);
    const listener = result.gatewayApi.gateways[0]?.listeners[1];
    expect(listener?.attachedRoutes).toBe(1);
    expect(brief(listener?.conditions ?? []).Conflicted).toBe("True/ProtocolConflict");
    expect(result.config.services ?? []).toEqual([]);
  });
});
