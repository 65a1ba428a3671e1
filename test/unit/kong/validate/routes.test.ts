import { describe, expect, it } from "vitest";
import { accepted, firstEntityErrors, V3 } from "./helpers.ts";

const route = (fields: Record<string, unknown>) => ({ name: "r", ...fields });
const routeErrors = (
  fields: Record<string, unknown>,
  routerFlavor?: "traditional" | "traditional_compatible" | "expressions",
) =>
  firstEntityErrors(
    "routes",
    route(fields),
    routerFlavor === undefined ? undefined : { routerFlavor },
  );

describe("routes: protocols and matchers (§2.6)", () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    [
      "nothing to match (default protocols)",
      {},
      {
        "@entity": [
          "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
        ],
      },
    ],
    [
      "nothing to match (http only)",
      { protocols: ["http"] },
      {
        "@entity": [
          "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'",
        ],
      },
    ],
    [
      "unknown first protocol",
      { protocols: ["ftp", "http"], paths: ["/"] },
      { protocols: "unknown type: ftp" },
    ],
    [
      "first protocol an object with a toString key",
      { protocols: [JSON.parse('{"toString":"x"}')], paths: ["/"] },
      { protocols: "unknown type: table" },
    ],
    [
      "unknown later protocol",
      { protocols: ["http", "ftp"], paths: ["/"] },
      {
        protocols: [
          null,
          "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp",
        ],
      },
    ],
    [
      "mixed protocol groups",
      { protocols: ["http", "tcp", "grpc"], paths: ["/"] },
      {
        protocols:
          "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp'), ('grpc', 'grpcs')",
      },
    ],
    [
      "empty protocols",
      { protocols: [], paths: ["/"] },
      { protocols: "length must be at least 1" },
    ],
    ["lowercase method", { methods: ["get"] }, { methods: ["invalid value: get"] }],
    [
      "sources on http",
      { paths: ["/"], sources: [{ ip: "10.0.0.1" }] },
      { sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'" },
    ],
    [
      "snis on plain http",
      { protocols: ["http"], paths: ["/"], snis: ["a.example"] },
      {
        "@entity": [
          "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
        ],
      },
    ],
    [
      "tcp without sources, destinations or snis",
      { protocols: ["tcp"] },
      {
        "@entity": [
          "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
        ],
      },
    ],
    [
      "tcp with paths",
      { protocols: ["tcp"], paths: ["/"], destinations: [{ port: 80 }] },
      { paths: "cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'" },
    ],
    [
      "tcp with hosts",
      { protocols: ["tcp"], hosts: ["a.example"], destinations: [{ port: 80 }] },
      { hosts: "cannot set 'hosts' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'" },
    ],
    [
      "tls_passthrough without snis",
      { protocols: ["tls_passthrough"] },
      { "@entity": ["must set snis when 'protocols' is 'tls_passthrough'"] },
    ],
    [
      "source record without ip or port",
      { protocols: ["tcp"], sources: [{}] },
      {
        sources: [{ "@entity": ["at least one of these fields must be non-empty: 'ip', 'port'"] }],
      },
    ],
    [
      "grpc with methods",
      { protocols: ["grpc"], paths: ["/"], methods: ["GET"] },
      { methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" },
    ],
    [
      "grpc with strip_path",
      { protocols: ["grpc"], paths: ["/"], strip_path: true },
      { strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'" },
    ],
    [
      "grpcs with nothing to match",
      { protocols: ["grpcs"] },
      {
        "@entity": [
          "must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'",
        ],
      },
    ],
    [
      "grpc with nothing to match",
      { protocols: ["grpc"] },
      { "@entity": ["must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'"] },
    ],
    [
      "bad redirect status",
      { paths: ["/"], https_redirect_status_code: 303 },
      { https_redirect_status_code: "expected one of: 426, 301, 302, 307, 308" },
    ],
    [
      "bad path_handling",
      { paths: ["/"], path_handling: "v2" },
      { path_handling: "expected one of: v0, v1" },
    ],
  ])("%s", (_name, fields, expected) => {
    expect(routeErrors(fields)).toEqual(expected);
  });
});

describe("routes: paths", () => {
  it.each<[string, string]>([
    ["x", "should start with: / (fixed path) or ~/ (regex path)"],
    ["~x", "should start with: / (fixed path) or ~/ (regex path)"],
    ["/a//b", "must not have empty segments"],
    ["/a/./b", "non-normalized path, consider use '/a/b' instead"],
    ["/a/../b", "non-normalized path, consider use '/b' instead"],
    ["/%7Efoo", "non-normalized path, consider use '/~foo' instead"],
    ["/a%zz", "invalid url-encoded value: '%zz'"],
    [
      "~/(a",
      `invalid regex: '/(a' (PCRE returned: pcre2_compile() failed: missing closing parenthesis in "/(a")`,
    ],
    [
      "~/a[",
      `invalid regex: '/a[' (PCRE returned: pcre2_compile() failed: missing terminating ] for character class in "/a[")`,
    ],
  ])("%s -> %s", (path, message) => {
    expect(routeErrors({ paths: [path] })).toEqual({ paths: [message] });
  });

  it.each([
    "/",
    "/a/b",
    "/a%2Fb",
    "/caf%C3%A9",
    "~/v(?<version>\\d+)/x",
    "~/a$",
    "~/(?P<n>\\w+)",
    "/a b",
  ])("accepts %s", path => {
    expect(
      Object.keys(accepted({ ...V3, routes: [route({ paths: [path] })] })["routes"] ?? {}),
    ).toHaveLength(1);
  });

  it.each(["~/foo(?=bar)", "~/foo(?!bar)", "~/(?<=a)b", "~/(a)\\1"])(
    "rejects %s under traditional_compatible with a Router Expression entity error",
    path => {
      const errors = routeErrors({ paths: [path] }) as { "@entity": string[] };
      expect(errors["@entity"]).toHaveLength(1);
      expect(errors["@entity"][0]).toMatch(
        /^Router Expression failed validation: regex parse error:\n/,
      );
      expect(errors["@entity"][0]).toMatch(
        /error: (look-around, including look-ahead and look-behind, is|backreferences are) not supported$/,
      );
    },
  );

  it("accepts look-around under the traditional router", () => {
    const entities = accepted(
      { ...V3, routes: [route({ paths: ["~/foo(?=bar)"] })] },
      { routerFlavor: "traditional" },
    );
    expect(Object.keys(entities["routes"] ?? {})).toHaveLength(1);
  });

  it("migrates paths of format 1.1 documents", () => {
    const entities = accepted({
      _format_version: "1.1",
      routes: [route({ paths: ["/a/./b", "/v\\d+"] })],
    });
    expect(Object.values(entities["routes"] ?? {})[0]?.["paths"]).toEqual(["/a/b", "~/v\\d+"]);
  });
});

describe("routes: hosts, headers, snis", () => {
  it.each<[string, string]>([
    ["*.*.example.com", "invalid wildcard: must have at most one wildcard"],
    ["a.*.example.com", "invalid wildcard: must be placed at leftmost or rightmost label"],
    ["exa mple.com", "invalid hostname: exa mple.com"],
    ["example.com:99999", "invalid port number"],
  ])("host %s -> %s", (host, message) => {
    expect(routeErrors({ hosts: [host] })).toEqual({ hosts: [message] });
  });

  it.each([
    "example.com",
    "*.example.com",
    "example.*",
    "example.com:8080",
    "10.0.0.1",
    "[::1]:80",
  ])("accepts host %s", host => {
    expect(
      Object.keys(accepted({ ...V3, routes: [route({ hosts: [host] })] })["routes"] ?? {}),
    ).toHaveLength(1);
  });

  it.each<[Record<string, unknown>, string]>([
    [
      { Host: ["a"] },
      "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
    ],
    [{ "x y": ["a"] }, "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
    [{ "x-a": "a" }, "expected an array"],
  ])("headers %j -> %s", (headers, message) => {
    expect(routeErrors({ headers })).toEqual({ headers: message });
  });

  it.each<[string, string]>([
    ["a.*.example.com", "wildcard must be leftmost or rightmost character"],
    ["*.example.*", "only one wildcard must be specified"],
    ["10.0.0.1", "must not be an IP"],
    ["example.com:443", "must not have a port"],
    ["exa mple.com", "invalid value: exa mple.com"],
  ])("sni %s -> %s", (sni, message) => {
    expect(routeErrors({ paths: ["/"], snis: [sni] })).toEqual({ snis: [message] });
  });

  it("accepts wildcard snis except under the traditional router", () => {
    expect(routeErrors({ paths: ["/"], snis: ["*.example.com"] }, "traditional")).toEqual({
      snis: ["invalid value: *.example.com"],
    });
    expect(
      Object.keys(
        accepted({ ...V3, routes: [route({ paths: ["/"], snis: ["*.example.com"] })] })["routes"] ??
          {},
      ),
    ).toHaveLength(1);
  });
});

describe("routes: defaults and expressions", () => {
  it("fills defaults; grpc routes default strip_path to false", () => {
    const entities = accepted({
      ...V3,
      routes: [route({ paths: ["/"] }), { name: "g", protocols: ["grpc"], paths: ["/"] }],
    });
    const byName = (name: string) =>
      Object.values(entities["routes"] ?? {}).find(r => r["name"] === name);
    const [http, grpc] = [byName("r"), byName("g")];
    expect(grpc).toMatchObject({ name: "g", strip_path: false });
    expect(http).toMatchObject({
      protocols: ["http", "https"],
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      path_handling: "v0",
      https_redirect_status_code: 426,
      request_buffering: true,
      response_buffering: true,
      service: null,
    });
  });

  it("knows expression routes only under the expressions router", () => {
    expect(routeErrors({ expression: 'http.path == "/"' })).toMatchObject({
      expression: "unknown field",
    });
    const entities = accepted(
      { ...V3, routes: [route({ expression: 'http.path == "/"' })] },
      { routerFlavor: "expressions" },
    );
    expect(Object.values(entities["routes"] ?? {})[0]).toMatchObject({ priority: 0 });
    expect(routeErrors({ expression: 'http.path == "/"', paths: ["/"] }, "expressions")).toEqual({
      "@entity": ["only one or none of these fields must be set: 'expression', 'paths'"],
    });
  });
});
