import { describe, expect, it } from "vitest";
import {
  parseRouteAnnotations,
  parseServiceAnnotations,
} from "../../../src/translator/annotations.ts";

const route = (annotations: Record<string, string>) => parseRouteAnnotations(annotations);
const service = (annotations: Record<string, string>) => parseServiceAnnotations(annotations);

describe("route annotations", () => {
  it.each([
    ["konghq.com/strip-path", "true", { stripPath: true }],
    ["konghq.com/strip-path", "FALSE", { stripPath: false }],
    ["konghq.com/preserve-host", "false", { preserveHost: false }],
    ["konghq.com/protocols", "https", { protocols: ["https"] }],
    ["konghq.com/protocols", "grpc, grpcs", { protocols: ["grpc", "grpcs"] }],
    ["konghq.com/protocols", "http,grpc", { protocols: ["http", "https"] }],
    // ws and wss are Kong Enterprise's; sent as given, as KIC does.
    ["konghq.com/protocols", "ws,wss", { protocols: ["ws", "wss"] }],
    ["konghq.com/protocols", "tls, tcp", { protocols: ["tls", "tcp"] }],
    ["konghq.com/protocols", "tls_passthrough", { protocols: ["tls_passthrough"] }],
    [
      "konghq.com/rewrite",
      "/v2/$1/x/$12",
      { rewrite: '/v2/$(uri_captures[1] or "")/x/$(uri_captures[12] or "")' },
    ],
    ["konghq.com/rewrite", "/price/\\$1", { rewrite: "/price/$1" }],
    ["konghq.com/rewrite", "", { rewrite: "/" }],
    ["konghq.com/methods", "get,Post", { methods: ["GET", "POST"] }],
    ["konghq.com/regex-priority", "-5", { regexPriority: -5 }],
    ["konghq.com/https-redirect-status-code", "301", { httpsRedirectStatusCode: 301 }],
    [
      "ingress.kubernetes.io/force-ssl-redirect",
      "true",
      { httpsRedirectStatusCode: 302, protocols: ["https"] },
    ],
    [
      "konghq.com/host-aliases",
      "a.example.com, *.b.example.com",
      { hostAliases: ["a.example.com", "*.b.example.com"] },
    ],
    ["konghq.com/snis", "a.example.com", { snis: ["a.example.com"] }],
    ["konghq.com/path-handling", "v1", { pathHandling: "v1" }],
    ["konghq.com/request-buffering", "false", { requestBuffering: false }],
    ["konghq.com/response-buffering", "true", { responseBuffering: true }],
    ["konghq.com/regex-prefix", "/@", { regexPrefix: "/@" }],
    ["konghq.com/tags", "a, b,a", { tags: ["a", "b"] }],
    ["konghq.com/headers.X-Tenant", "blue, green", { headers: { "x-tenant": ["blue", "green"] } }],
  ])("%s: %j", (key, value, expected) => {
    const parsed = route({ [key]: value });
    expect(parsed.problems).toEqual([]);
    expect(parsed.value).toMatchObject(expected);
  });

  it("splits header values on a custom separator", () => {
    const parsed = route({ "konghq.com/headers.x-a": "1;2", "konghq.com/headers-separator": ";" });
    expect(parsed.value.headers).toEqual({ "x-a": ["1", "2"] });
  });

  it.each([
    ["http,https", ["https"]],
    ["grpc", ["grpcs"]],
    ["ws,wss", ["wss"]],
    ["https", ["https"]],
  ])(
    "force-ssl-redirect wins over protocols %s (KIC applies it last): %j",
    (protocols, expected) => {
      const parsed = route({
        "ingress.kubernetes.io/force-ssl-redirect": "true",
        "konghq.com/protocols": protocols,
      });
      expect(parsed.problems).toEqual([]);
      expect(parsed.value).toMatchObject({ protocols: expected, httpsRedirectStatusCode: 302 });
    },
  );

  it.each(["http,tcp", "grpc,tls", "ws,http", "tls,tls_passthrough", "udp"])(
    "refuses protocols %s, which Kong would refuse on one route",
    protocols => {
      const parsed = route({ "konghq.com/protocols": protocols });
      expect(parsed.value.protocols).toBeUndefined();
      expect(parsed.problems.map(p => p.reason)).toEqual(["InvalidAnnotation"]);
    },
  );

  it.each(["/a/$x", "no-slash", "/a b"])("refuses rewrite %s", value => {
    const parsed = route({ "konghq.com/rewrite": value });
    expect(parsed.value.rewrite).toBeUndefined();
    expect(parsed.problems.map(p => p.reason)).toEqual(["InvalidAnnotation"]);
  });

  it("says force-ssl-redirect does nothing on a tls route, and sets no redirect code", () => {
    const parsed = route({
      "ingress.kubernetes.io/force-ssl-redirect": "true",
      "konghq.com/protocols": "tls",
    });
    expect(parsed.value.protocols).toEqual(["tls"]);
    expect(parsed.value.httpsRedirectStatusCode).toBeUndefined();
    expect(parsed.problems.map(p => p.reason)).toEqual(["InvalidAnnotation"]);
  });

  it("lets an explicit redirect code win over force-ssl-redirect's 302", () => {
    const parsed = route({
      "ingress.kubernetes.io/force-ssl-redirect": "true",
      "konghq.com/https-redirect-status-code": "307",
    });
    expect(parsed.value.httpsRedirectStatusCode).toBe(307);
  });

  it.each([
    ["konghq.com/strip-path", "yes", "stripPath", 'expected "true" or "false"'],
    ["konghq.com/protocols", "http,ftp", "protocols", "http, https, grpc, grpcs"],
    ["konghq.com/methods", "GET,P0ST", "methods", "Kong refuses it: invalid value: P0ST"],
    ["konghq.com/regex-priority", "1.5", "regexPriority", "integer"],
    [
      "konghq.com/https-redirect-status-code",
      "200",
      "httpsRedirectStatusCode",
      "Kong refuses it: expected one of: 426, 301, 302, 307, 308",
    ],
    ["konghq.com/path-handling", "v2", "pathHandling", "Kong refuses it: expected one of: v0, v1"],
    [
      "konghq.com/headers.host",
      "x",
      "headers",
      "Kong refuses it: cannot contain 'host' header, which must be specified in the 'hosts' attribute",
    ],
    [
      "konghq.com/headers.x-a",
      "~*v(?=1)",
      "headers",
      "Kong refuses it: Router Expression failed validation: regex parse error: ^v(?=1) error: look-around",
    ],
    ["konghq.com/regex-prefix", "@", "regexPrefix", 'starting with "/"'],
  ])("%s=%j is reported and ignored", (key, value, field, fragment) => {
    const parsed = route({ [key]: value });
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.reason).toBe("InvalidAnnotation");
    expect(parsed.problems[0]?.message).toContain(key);
    expect(parsed.problems[0]?.message).toContain(fragment);
    const fallback = field === "regexPrefix" ? "/~" : undefined;
    expect((parsed.value as unknown as Record<string, unknown>)[field]).toEqual(fallback);
  });

  it("takes every host alias Kong takes: wildcards at either end, ports, IPs", () => {
    const parsed = route({
      "konghq.com/host-aliases": "*.example.com,example.*,a.example.com:8080,10.0.0.1",
    });
    expect(parsed.problems).toEqual([]);
    expect(parsed.value.hostAliases).toEqual([
      "*.example.com",
      "example.*",
      "a.example.com:8080",
      "10.0.0.1",
    ]);
  });

  it("keeps the SNIs Kong takes and reports the others with Kong's message", () => {
    const parsed = route({ "konghq.com/snis": "a.example.com,10.0.0.1,*.example.com" });
    expect(parsed.value.snis).toEqual(["a.example.com", "*.example.com"]);
    expect(parsed.problems.map(p => p.message)).toEqual([
      'annotation konghq.com/snis: "10.0.0.1" is not valid (Kong refuses it: must not be an IP); the annotation is ignored',
    ]);
  });

  it("drops only the invalid host aliases", () => {
    const parsed = route({ "konghq.com/host-aliases": "ok.example.com,bad_host!" });
    expect(parsed.value.hostAliases).toEqual(["ok.example.com"]);
    expect(parsed.problems.map(p => p.message)).toEqual([
      'annotation konghq.com/host-aliases: "bad_host!" is not valid (Kong refuses it: invalid hostname: bad_host!); the annotation is ignored',
    ]);
  });

  it("truncates huge values in messages", () => {
    const parsed = route({ "konghq.com/strip-path": "x".repeat(2_000_000) });
    expect(parsed.problems[0]?.message.length).toBeLessThan(300);
  });

  it.each([
    ["konghq.com/read-timeout", "MisplacedAnnotation"],
    ["konghq.com/ca-certificates-configmaps", "MisplacedAnnotation"],
    ["konghq.com/override", "UnsupportedAnnotation"],
    ["konghq.com/strip-paht", "UnknownAnnotation"],
  ])("reports %s as %s", (key, reason) => {
    expect(route({ [key]: "1" }).problems.map(p => p.reason)).toEqual([reason]);
  });

  it("ignores annotations outside konghq.com", () => {
    expect(
      route({ "example.com/anything": "1", "kubernetes.io/ingress.class": "kong" }).problems,
    ).toEqual([]);
  });
});

describe("service annotations", () => {
  it.each([
    ["konghq.com/protocol", "HTTPS", { protocol: "https" }],
    ["konghq.com/path", "/base/v1", { path: "/base/v1" }],
    ["konghq.com/connect-timeout", "1", { connectTimeout: 1 }],
    ["konghq.com/read-timeout", "2147483646", { readTimeout: 2147483646 }],
    ["konghq.com/write-timeout", "5000", { writeTimeout: 5000 }],
    ["konghq.com/retries", "0", { retries: 0 }],
    [
      "konghq.com/host-header",
      "internal.example.com:8080",
      { hostHeader: "internal.example.com:8080" },
    ],
    ["ingress.kubernetes.io/service-upstream", "true", { serviceUpstream: true }],
    ["konghq.com/tls-verify", "True", { tlsVerify: true }],
    ["konghq.com/tls-verify-depth", "64", { tlsVerifyDepth: 64 }],
    ["konghq.com/client-cert", " client-tls ", { clientCert: "client-tls" }],
    ["konghq.com/ca-certificates-secrets", "a, b,a", { caCertificateSecrets: ["a", "b"] }],
    [
      "konghq.com/ca-certificates-configmaps",
      "ca-1,ca-2",
      { caCertificateConfigMaps: ["ca-1", "ca-2"] },
    ],
  ])("%s: %j", (key, value, expected) => {
    const parsed = service({ [key]: value });
    expect(parsed.problems).toEqual([]);
    expect(parsed.value).toMatchObject(expected);
  });

  it.each([
    [
      "konghq.com/protocol",
      "smtp",
      "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp",
    ],
    ["konghq.com/path", "no-slash", "should start with: /"],
    ["konghq.com/path", "/a//b", "must not have empty segments"],
    [
      "konghq.com/path",
      "/api?v=1",
      "invalid path: '/api?v=1' (characters outside of the reserved list of RFC 3986 found)",
    ],
    ["konghq.com/path", "/a%zz", "invalid url-encoded value: '%zz'"],
    ["konghq.com/connect-timeout", "0", "value should be between 1 and 2147483646"],
    ["konghq.com/read-timeout", "2147483647", "value should be between 1 and 2147483646"],
    ["konghq.com/retries", "32768", "value should be between 0 and 32767"],
    ["konghq.com/host-header", "bad host", "invalid hostname: bad host"],
    ["konghq.com/host-header", "a.example.com:99999", "invalid port number"],
  ])("%s=%j is reported with Kong's message and ignored", (key, value, kong) => {
    const parsed = service({ [key]: value });
    expect(parsed.problems).toEqual([
      {
        reason: "InvalidAnnotation",
        message: `annotation ${key}: "${value}" is not valid (Kong refuses it: ${kong}); the annotation is ignored`,
      },
    ]);
  });

  it.each([
    ["konghq.com/tls-verify", "yes"],
    ["konghq.com/tls-verify-depth", "65"],
    ["konghq.com/client-cert", "Not_A_Name"],
  ])("%s=%j is reported and ignored", (key, value) => {
    const parsed = service({ [key]: value });
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.reason).toBe("InvalidAnnotation");
    expect(parsed.problems[0]?.message).toMatch(
      new RegExp(
        `^annotation ${key}: "${value}" is not valid \\(.+\\); the annotation is ignored$`,
      ),
    );
    expect(parsed.value).not.toHaveProperty(
      key === "konghq.com/client-cert" ? "clientCert" : "tlsVerify",
    );
  });

  it.each(["konghq.com/strip-path", "konghq.com/headers.x-a"])(
    "reports the route annotation %s placed on a Service",
    key => {
      expect(service({ [key]: "true" }).problems.map(p => p.reason)).toEqual([
        "MisplacedAnnotation",
      ]);
    },
  );
});
