import { describe, expect, it } from "vitest";
import {
  isGatewayListenerProtocol,
  listenerProgrammability,
  listenersFromRoot,
  listenersState,
  mergeKongListeners,
  type GatewayListenerProtocol,
  type KongListeners,
  type KongListenersReport,
  type KongListenersView,
  type PublishService,
} from "../../../src/kong/listeners.ts";
import { rootInfoSchema, type RootInfo } from "../../../src/kong/responses.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import {
  DEFAULT_PROXY_LISTENERS,
  listenersValue,
  type ListenerSpec,
} from "../../support/kong-emulator/listeners.ts";

/** `GET /` as Kong answers it (the emulator's listener entries), parsed as the Admin client parses it. */
function root(
  proxy: readonly ListenerSpec[],
  stream: readonly ListenerSpec[],
  configuration: Record<string, unknown> = {},
): RootInfo {
  return rootInfoSchema.parse({
    version: "3.9.1",
    node_id: "6f0a3c52-1d2e-4d43-9a0b-2b0b3e9c6d11",
    configuration: {
      database: "off",
      role: "traditional",
      router_flavor: "traditional_compatible",
      proxy_listeners: listenersValue(proxy, "http"),
      stream_listeners: listenersValue(stream, "stream"),
      ...configuration,
    },
  });
}

function listeners(proxy: readonly ListenerSpec[], stream: readonly ListenerSpec[]): KongListeners {
  const read = listenersFromRoot(root(proxy, stream));
  if (!read.ok) throw new Error(read.reason);
  return read.listeners;
}

const known = (l: KongListeners): KongListenersView => ({ state: "known", listeners: l });

/** A Kong with every kind of listen, as a chart would set it up. */
const FULL = listeners(DEFAULT_PROXY_LISTENERS, [
  { port: 9000 },
  { port: 9443, ssl: true },
  { port: 9999, udp: true },
]);
const HTTP_ONLY = listeners(DEFAULT_PROXY_LISTENERS, []);
const EMPTY = listeners([], []);

/** The publish Service as the watch hands it over (parsed and trimmed). */
function publishService(ports: readonly Record<string, unknown>[]): PublishService {
  const parsed = parseSupportedObject({
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "kong", name: "kong-proxy", uid: "u1", resourceVersion: "1" },
    spec: { type: "LoadBalancer", ports },
  });
  if (!parsed.ok || parsed.object.kind !== "Service") throw new Error("bad Service fixture");
  return { kind: "service", name: "kong/kong-proxy", ports: parsed.object.spec.ports ?? [] };
}

const CHART_SERVICE = publishService([
  { name: "kong-proxy", port: 80, targetPort: 8000, protocol: "TCP" },
  { name: "kong-proxy-tls", port: 443, targetPort: 8443, protocol: "TCP" },
  { name: "stream-9000", port: 9000, targetPort: 9000, protocol: "TCP" },
  { name: "stream-9443", port: 9443, targetPort: 9443, protocol: "TCP" },
  { name: "stream-udp-9999", port: 9999, targetPort: 9999, protocol: "UDP" },
]);

describe("listenersFromRoot", () => {
  it("reads Kong's default listeners", () => {
    expect(listenersFromRoot(root(DEFAULT_PROXY_LISTENERS, []))).toEqual({
      ok: true,
      listeners: {
        proxy: [
          { port: 8000, ssl: false, http2: false },
          { port: 8443, ssl: true, http2: true },
        ],
        stream: [],
      },
    });
  });

  it("lists a port once however many addresses Kong listens on, in port order", () => {
    const read = listenersFromRoot(
      root(
        [{ ip: "::", port: 8443, ssl: true }, { port: 8443, ssl: true }, { port: "8000" }],
        [{ port: 9999, udp: true }, { ip: "::1", port: 9999, udp: true }, { port: 9000 }],
      ),
    );
    expect(read).toEqual({
      ok: true,
      listeners: {
        proxy: [
          { port: 8000, ssl: false, http2: false },
          { port: 8443, ssl: true, http2: false },
        ],
        stream: [
          { port: 9000, ssl: false, udp: false },
          { port: 9999, ssl: false, udp: true },
        ],
      },
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["no proxy_listeners", { proxy_listeners: undefined }, "configuration.proxy_listeners"],
    ["no stream_listeners", { stream_listeners: undefined }, "configuration.stream_listeners"],
    ["a hybrid control plane", { role: "control_plane" }, "control plane"],
  ])("refuses to read %s as a node's listeners", (_name, configuration, reason) => {
    const read = listenersFromRoot(root(DEFAULT_PROXY_LISTENERS, [], configuration));
    expect(read.ok).toBe(false);
    expect(read.ok ? "" : read.reason).toContain(reason);
  });
});

describe("mergeKongListeners", () => {
  const a = "http://10.0.0.1:8001";
  const b = "http://10.0.0.2:8001";
  const reordered = listeners(
    [{ ip: "::", port: 8443, ssl: true, http2: true }, ...DEFAULT_PROXY_LISTENERS],
    [],
  );

  it.each<[string, KongListenersReport[], KongListenersView | string]>([
    ["no ready Kong", [], "no Kong is ready"],
    ["one Kong that answered", [{ url: a, listeners: FULL }], known(FULL)],
    [
      "two Kongs that agree (order and addresses aside)",
      [
        { url: a, listeners: HTTP_ONLY },
        { url: b, listeners: reordered },
      ],
      known(HTTP_ONLY),
    ],
    [
      "Kongs that all say they have no listener",
      [
        { url: a, listeners: EMPTY },
        { url: b, listeners: EMPTY },
      ],
      known(EMPTY),
    ],
    [
      "Kongs that disagree",
      [
        { url: a, listeners: HTTP_ONLY },
        { url: b, listeners: FULL },
      ],
      `ready Kongs disagree (${a}: proxy 8000, 8443 ssl http2; stream none | ${b}: proxy 8000, 8443 ssl http2; stream 9000, 9443 ssl, 9999 udp)`,
    ],
    [
      "a Kong whose GET / failed, even with an earlier answer",
      [
        { url: a, listeners: FULL },
        { url: b, listeners: FULL, failure: "connection refused" },
      ],
      `GET / of ${b} failed: connection refused`,
    ],
    [
      "a Kong that has not answered yet",
      [{ url: a, listeners: FULL }, { url: b }],
      `${b} has not answered GET / yet`,
    ],
  ])("%s", (_name, reports, expected) => {
    const view = mergeKongListeners(reports);
    if (typeof expected === "string") expect(view).toEqual({ state: "unknown", reason: expected });
    else expect(view).toEqual(expected);
  });

  it("names the three states", () => {
    expect(listenersState(mergeKongListeners([]))).toBe("unknown");
    expect(listenersState(known(EMPTY))).toBe("known_empty");
    expect(listenersState(known(HTTP_ONLY))).toBe("known");
  });
});

type Expected = "programmable" | "pending" | "UnsupportedProtocol" | "PortUnavailable";

function outcome(
  view: KongListenersView,
  publish: PublishService,
  protocol: GatewayListenerProtocol,
  port: number,
): { expected: Expected; message: string } {
  const result = listenerProgrammability(view, publish, { port, protocol });
  if ("pending" in result) return { expected: "pending", message: result.message };
  if (result.programmable) return { expected: "programmable", message: "" };
  return { expected: result.reason, message: result.message };
}

describe("listenerProgrammability", () => {
  it.each<[string, KongListenersView, GatewayListenerProtocol, number, Expected]>([
    ["HTTP on the plain proxy port", known(FULL), "HTTP", 80, "programmable"],
    ["HTTPS on the ssl proxy port", known(FULL), "HTTPS", 443, "programmable"],
    ["TLS on the ssl stream port", known(FULL), "TLS", 9443, "programmable"],
    ["TCP on the plain stream port", known(FULL), "TCP", 9000, "programmable"],
    ["UDP on the udp stream port", known(FULL), "UDP", 9999, "programmable"],
    ["HTTP on the ssl proxy port", known(FULL), "HTTP", 443, "PortUnavailable"],
    ["HTTPS on the plain proxy port", known(FULL), "HTTPS", 80, "PortUnavailable"],
    ["HTTP on a port the Service lacks", known(FULL), "HTTP", 8080, "PortUnavailable"],
    ["TCP on the HTTP proxy port", known(FULL), "TCP", 80, "PortUnavailable"],
    ["TCP on the ssl stream port", known(FULL), "TCP", 9443, "PortUnavailable"],
    ["TLS on the plain stream port", known(FULL), "TLS", 9000, "PortUnavailable"],
    ["UDP on a TCP Service port", known(FULL), "UDP", 9000, "PortUnavailable"],
    ["TCP on a UDP Service port", known(FULL), "TCP", 9999, "PortUnavailable"],
    ["TCP when Kong has no stream listen", known(HTTP_ONLY), "TCP", 9000, "UnsupportedProtocol"],
    ["TLS when Kong has no stream listen", known(HTTP_ONLY), "TLS", 9443, "UnsupportedProtocol"],
    ["UDP when Kong has no stream listen", known(HTTP_ONLY), "UDP", 9999, "UnsupportedProtocol"],
    ["HTTP when Kong is known to have nothing", known(EMPTY), "HTTP", 80, "UnsupportedProtocol"],
    ["HTTP while unknown", mergeKongListeners([]), "HTTP", 80, "pending"],
    ["UDP while unknown", mergeKongListeners([]), "UDP", 9999, "pending"],
  ])("%s: %s", (_name, view, protocol, port, expected) => {
    expect(outcome(view, CHART_SERVICE, protocol, port).expected).toBe(expected);
  });

  it("never gives a terminal reason while Kong's listeners are unknown", () => {
    const unknowns: KongListenersView[] = [
      mergeKongListeners([]),
      mergeKongListeners([{ url: "http://k:8001", failure: "timed out" }]),
      mergeKongListeners([{ url: "http://k:8001" }]),
    ];
    const publishes: PublishService[] = [
      CHART_SERVICE,
      { kind: "none" },
      { kind: "missing", name: "kong/kong-proxy" },
    ];
    const protocols: GatewayListenerProtocol[] = ["HTTP", "HTTPS", "TLS", "TCP", "UDP"];
    for (const view of unknowns) {
      for (const publish of publishes) {
        for (const protocol of protocols) {
          for (const port of [80, 443, 9000, 9443, 9999, 12345]) {
            const result = outcome(view, publish, protocol, port);
            expect(result.expected).toBe("pending");
            expect(result.message).toContain("waiting for Kong's listeners");
          }
        }
      }
    }
  });

  it("explains what it looked for and found", () => {
    expect(outcome(known(FULL), CHART_SERVICE, "HTTP", 443).message).toBe(
      "no Kong listen with the requested protocol is configured for the requested port: " +
        "kong/kong-proxy port 443 leads to Kong port 8443, which is not a proxy listener without ssl " +
        "(Kong has proxy 8000, 8443 ssl http2; stream 9000, 9443 ssl, 9999 udp); " +
        "HTTP is served on kong/kong-proxy port 80",
    );
    expect(outcome(known(HTTP_ONLY), CHART_SERVICE, "UDP", 9999).message).toBe(
      "no Kong listen with the requested protocol is configured: UDP needs a udp stream listener " +
        "behind a UDP port of kong/kong-proxy; Kong has proxy 8000, 8443 ssl http2; stream none",
    );
    expect(outcome(mergeKongListeners([]), CHART_SERVICE, "HTTP", 80).message).toBe(
      "waiting for Kong's listeners: no Kong is ready",
    );
  });

  it.each([
    ["HTTP", true],
    ["UDP", true],
    ["http", false],
    ["example.com/custom", false],
  ])("treats %s as a Kong protocol: %s", (protocol, expected) => {
    expect(isGatewayListenerProtocol(protocol)).toBe(expected);
  });

  describe("without a publish Service (matched on the protocol alone)", () => {
    const none: PublishService = { kind: "none" };

    it.each<[KongListenersView, GatewayListenerProtocol, number, Expected]>([
      [known(HTTP_ONLY), "HTTP", 12345, "programmable"],
      [known(HTTP_ONLY), "HTTPS", 1, "programmable"],
      [known(HTTP_ONLY), "TCP", 9000, "UnsupportedProtocol"],
      [known(FULL), "TCP", 1, "programmable"],
      [known(FULL), "UDP", 1, "programmable"],
      [known(listeners([{ port: 8443, ssl: true }], [])), "HTTP", 80, "UnsupportedProtocol"],
      [known(EMPTY), "HTTPS", 443, "UnsupportedProtocol"],
    ])("%#: %s %s on %s", (view, protocol, port, expected) => {
      expect(outcome(view, none, protocol, port).expected).toBe(expected);
    });
  });

  it("waits for a publish Service that does not exist yet", () => {
    const missing: PublishService = { kind: "missing", name: "kong/kong-proxy" };
    expect(outcome(known(FULL), missing, "HTTP", 80)).toEqual({
      expected: "pending",
      message: "waiting for the publish Service kong/kong-proxy",
    });
  });

  describe("target ports", () => {
    const withPorts = (
      ports: readonly Record<string, unknown>[],
      resolved?: Map<string, number>,
    ): PublishService => {
      const service = publishService(ports);
      if (service.kind !== "service" || resolved === undefined) return service;
      return { ...service, resolvedTargetPorts: resolved };
    };
    const named = [{ name: "proxy", port: 80, targetPort: "kong-http", protocol: "TCP" }];

    it("waits for a named targetPort nobody resolved", () => {
      expect(outcome(known(FULL), withPorts(named), "HTTP", 80)).toEqual({
        expected: "pending",
        message: 'waiting for kong/kong-proxy port 80\'s named targetPort "kong-http" to resolve',
      });
    });

    it("follows a named targetPort once resolved", () => {
      const resolved = withPorts(named, new Map([["proxy", 8000]]));
      expect(outcome(known(FULL), resolved, "HTTP", 80).expected).toBe("programmable");
      expect(outcome(known(FULL), resolved, "HTTPS", 80).expected).toBe("UnsupportedProtocol");
    });

    it("takes the port itself when targetPort is unset", () => {
      const service = withPorts([{ port: 8000 }]);
      expect(outcome(known(FULL), service, "HTTP", 8000).expected).toBe("programmable");
    });

    it("ignores ports of other transports", () => {
      const service = withPorts([{ port: 80, targetPort: 8000, protocol: "SCTP" }]);
      expect(outcome(known(FULL), service, "HTTP", 80).expected).toBe("UnsupportedProtocol");
    });
  });
});
