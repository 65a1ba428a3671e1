import { describe, expect, it } from "vitest";
import {
  adminApisOf,
  parseAdminEndpointSlice,
  type AdminEndpointSlice,
} from "../../../src/kube/admin-endpoints.ts";

const SERVICE = { namespace: "kong", name: "kong-admin" };
const KIC_PORT_NAMES = ["admin-tls", "kong-admin-tls"];
const SERVER_NAME = "pod.kong-admin.kong.svc";

interface EndpointSpec {
  readonly addresses?: string[];
  readonly ready?: boolean;
  readonly terminating?: boolean;
  readonly targetKind?: string | null;
}

interface PortSpec {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

/** An EndpointSlice as the API server sends it, read by the production parser. */
function slice(
  endpoints: readonly EndpointSpec[],
  ports: readonly PortSpec[],
  addressType = "IPv4",
): AdminEndpointSlice {
  const raw = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `kong-admin-${String(endpoints.length)}`,
      namespace: "kong",
      labels: { "kubernetes.io/service-name": "kong-admin" },
    },
    addressType,
    endpoints: endpoints.map((e, i) => ({
      addresses: e.addresses ?? [`10.0.0.${String(i + 1)}`],
      conditions: {
        ...(e.ready === undefined ? {} : { ready: e.ready, serving: e.ready }),
        ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
      },
      ...(e.targetKind === null
        ? {}
        : {
            targetRef: {
              kind: e.targetKind ?? "Pod",
              name: `kong-${String(i)}`,
              namespace: "kong",
            },
          }),
      nodeName: "node-a",
    })),
    ports: ports.map(p => ({ protocol: "TCP", ...p })),
  };
  const parsed = parseAdminEndpointSlice(raw);
  if (parsed === undefined) throw new Error("test slice does not parse");
  return parsed;
}

const ADMIN_TLS: PortSpec = { name: "admin-tls", port: 8444 };

const cases: {
  readonly name: string;
  readonly slices: readonly AdminEndpointSlice[];
  readonly portNames?: readonly string[];
  readonly urls: readonly string[];
}[] = [
  {
    name: "a ready Pod on admin-tls: HTTPS, as KIC",
    slices: [slice([{ ready: true }], [ADMIN_TLS])],
    urls: ["https://10.0.0.1:8444"],
  },
  {
    name: "the second default name, kong-admin-tls",
    slices: [slice([{ ready: true }], [{ name: "kong-admin-tls", port: 8445 }])],
    urls: ["https://10.0.0.1:8445"],
  },
  {
    name: "appProtocol http: plain HTTP",
    slices: [slice([{}], [{ ...ADMIN_TLS, appProtocol: "http" }])],
    urls: ["http://10.0.0.1:8444"],
  },
  {
    name: "appProtocol https or another value: HTTPS",
    slices: [
      slice([{}], [{ ...ADMIN_TLS, appProtocol: "HTTPS" }]),
      slice([{}, {}], [{ ...ADMIN_TLS, port: 9444, appProtocol: "kubernetes.io/h2c" }]),
    ],
    urls: ["https://10.0.0.1:8444", "https://10.0.0.1:9444", "https://10.0.0.2:9444"],
  },
  {
    name: "not ready yet (Kong is unready until it holds a config): still pushed to",
    slices: [slice([{ ready: false }], [ADMIN_TLS])],
    urls: ["https://10.0.0.1:8444"],
  },
  {
    name: "no conditions at all: pushed to",
    slices: [slice([{}], [ADMIN_TLS])],
    urls: ["https://10.0.0.1:8444"],
  },
  {
    name: "terminating, whatever its readiness: dropped",
    slices: [
      slice(
        [
          { ready: false, terminating: true },
          { ready: true, terminating: true },
          { ready: true, terminating: false },
        ],
        [ADMIN_TLS],
      ),
    ],
    urls: ["https://10.0.0.3:8444"],
  },
  {
    name: "not backed by a Pod (no targetRef, or another kind): dropped, as KIC",
    slices: [slice([{ targetKind: null }, { targetKind: "Node" }, {}], [ADMIN_TLS])],
    urls: ["https://10.0.0.3:8444"],
  },
  {
    name: "no port of those names: nothing",
    slices: [
      slice(
        [{}],
        [
          { name: "admin", port: 8001 },
          { name: "proxy", port: 8000 },
        ],
      ),
    ],
    urls: [],
  },
  {
    name: "a port of the right name over UDP, or without a number: nothing",
    slices: [
      slice([{}], [{ ...ADMIN_TLS, protocol: "UDP" }]),
      slice([{}, {}], [{ name: "admin-tls" }]),
    ],
    urls: [],
  },
  {
    name: "both names on one slice: one URL per Kong, on the name listed first",
    slices: [slice([{}], [{ name: "kong-admin-tls", port: 9444 }, ADMIN_TLS])],
    urls: ["https://10.0.0.1:8444"],
  },
  {
    name: "--kong-admin-svc-port-names decides the order of preference",
    slices: [slice([{}], [{ name: "kong-admin-tls", port: 9444 }, ADMIN_TLS])],
    portNames: ["kong-admin-tls", "admin-tls"],
    urls: ["https://10.0.0.1:9444"],
  },
  {
    name: "a custom plain-HTTP port name",
    slices: [slice([{}], [{ name: "admin", port: 8001, appProtocol: "http" }])],
    portNames: ["admin"],
    urls: ["http://10.0.0.1:8001"],
  },
  {
    name: "IPv6: bracketed",
    slices: [slice([{ addresses: ["fd00::7"] }], [ADMIN_TLS], "IPv6")],
    urls: ["https://[fd00::7]:8444"],
  },
  {
    name: "several addresses of one endpoint are one Pod: the first",
    slices: [slice([{ addresses: ["10.1.0.1", "10.1.0.2"] }], [ADMIN_TLS])],
    urls: ["https://10.1.0.1:8444"],
  },
  {
    name: "an endpoint without addresses: skipped",
    slices: [slice([{ addresses: [] }, {}], [ADMIN_TLS])],
    urls: ["https://10.0.0.2:8444"],
  },
  {
    name: "the same endpoint in two slices (a slice being split): once, and sorted",
    slices: [
      slice([{ addresses: ["10.0.0.9"] }, { addresses: ["10.0.0.2"] }], [ADMIN_TLS]),
      slice([{ addresses: ["10.0.0.2"] }], [ADMIN_TLS]),
    ],
    urls: ["https://10.0.0.2:8444", "https://10.0.0.9:8444"],
  },
  {
    name: "no slices: nothing",
    slices: [],
    urls: [],
  },
];

describe("adminApisOf: a Service's EndpointSlices → Kong Admin API URLs", () => {
  it.each(cases)("$name", ({ slices, portNames, urls }) => {
    const apis = adminApisOf({ service: SERVICE, slices, portNames: portNames ?? KIC_PORT_NAMES });
    expect(apis.map(a => a.url)).toEqual(urls);
    // KIC's SNI for every discovered Admin API: the Service's Pod name.
    for (const api of apis) expect(api.tlsServerName).toBe(SERVER_NAME);
  });
});

describe("parseAdminEndpointSlice", () => {
  it.each([
    ["not an object", "x"],
    ["no metadata", { endpoints: [] }],
    ["endpoints not a list", { metadata: { name: "a" }, endpoints: {} }],
    ["a port number that is text", { metadata: { name: "a" }, ports: [{ port: "8444" }] }],
  ])("refuses %s", (_what, raw) => {
    expect(parseAdminEndpointSlice(raw)).toBeUndefined();
  });

  it("accepts the nulls the API server sends for absent fields", () => {
    const parsed = parseAdminEndpointSlice({
      metadata: { name: "a", namespace: "kong" },
      endpoints: null,
      ports: [{ name: null, port: 8444, protocol: null, appProtocol: null }],
    });
    expect(parsed?.ports?.[0]?.port).toBe(8444);
  });
});
