import { describe, expect, it } from "vitest";
import { accepted, firstEntityErrors, V3 } from "./helpers.ts";

const base = { name: "svc", host: "example.com" };
const conditional = "failed conditional validation given value of field 'protocol'";

describe("services (§2.6)", () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    ["missing host", { name: "svc" }, { host: "required field missing" }],
    ["empty name", { ...base, name: "" }, { name: "length must be at least 1" }],
    [
      "bad name characters",
      { ...base, name: "a b" },
      {
        name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      },
    ],
    [
      "unknown protocol",
      { ...base, protocol: "ftp" },
      { protocol: "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp" },
    ],
    ["host with a port", { ...base, host: "example.com:80" }, { host: "must not have a port" }],
    ["invalid host", { ...base, host: "exa mple" }, { host: "invalid value: exa mple" }],
    ["port too large", { ...base, port: 65536 }, { port: "value should be between 0 and 65535" }],
    ["port as float", { ...base, port: 80.5 }, { port: "expected an integer" }],
    ["port as string", { ...base, port: "80" }, { port: "expected an integer" }],
    [
      "timeout zero",
      { ...base, read_timeout: 0 },
      { read_timeout: "value should be between 1 and 2147483646" },
    ],
    [
      "retries too large",
      { ...base, retries: 40000 },
      { retries: "value should be between 0 and 32767" },
    ],
    ["path without slash", { ...base, path: "api" }, { path: "should start with: /" }],
    [
      "path with empty segment",
      { ...base, path: "/a//b" },
      { path: "must not have empty segments" },
    ],
    [
      "path outside RFC 3986",
      { ...base, path: "/a b" },
      { path: "invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)" },
    ],
    [
      "bad percent-encoding",
      { ...base, path: "/a%zz" },
      { path: "invalid url-encoded value: '%zz'" },
    ],
    ["unknown field", { ...base, hostname: "x" }, { hostname: "unknown field" }],
    ["id not a UUID", { ...base, id: "123" }, { id: "expected a valid UUID" }],
    ["enabled as string", { ...base, enabled: "yes" }, { enabled: "expected a boolean" }],
    ["tags not an array", { ...base, tags: "a" }, { tags: "expected a set" }],
    [
      "tag with a comma",
      { ...base, tags: ["ok", "a,b"] },
      {
        tags: [
          null,
          "invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
        ],
      },
    ],
    [
      "tcp service with a path",
      { ...base, protocol: "tcp", path: "/x" },
      { path: "value must be null", "@entity": [conditional] },
    ],
    [
      "grpc service with a path",
      { ...base, protocol: "grpc", path: "/x" },
      { path: "value must be null", "@entity": [conditional] },
    ],
    [
      "http service with tls_verify",
      { ...base, tls_verify: true },
      { tls_verify: "value must be null", "@entity": [conditional] },
    ],
    [
      "http service with two TLS-only fields",
      { ...base, tls_verify: true, tls_verify_depth: 2 },
      {
        tls_verify: "value must be null",
        tls_verify_depth: "value must be null",
        "@entity": [conditional, conditional],
      },
    ],
    ["url without host", { name: "svc", url: "http:///path" }, { host: "required field missing" }],
    ["explicit null port", { ...base, port: null }, { port: "required field missing" }],
  ])("%s", (_name, service, expected) => {
    expect(firstEntityErrors("services", service)).toEqual(expected);
  });

  it("fills every default", () => {
    const entities = accepted({ ...V3, services: [base] });
    const service = Object.values(entities["services"] ?? {})[0];
    expect(service).toMatchObject({
      protocol: "http",
      port: 80,
      retries: 5,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      enabled: true,
      path: null,
      tags: null,
      client_certificate: null,
      tls_verify: null,
      tls_verify_depth: null,
      ca_certificates: null,
    });
  });

  it.each([
    [
      "https://example.com:8443/api",
      { protocol: "https", host: "example.com", port: 8443, path: "/api" },
    ],
    ["https://example.com", { protocol: "https", host: "example.com", port: 443, path: null }],
    ["http://example.com/a", { protocol: "http", host: "example.com", port: 80, path: "/a" }],
  ])("expands url %s", (url, expected) => {
    const entities = accepted({ ...V3, services: [{ name: "svc", url }] });
    const service = Object.values(entities["services"] ?? {})[0];
    expect(service).toMatchObject(expected);
    expect(service).not.toHaveProperty("url");
  });

  it("accepts TLS-only fields on https services and de-duplicates tags", () => {
    const entities = accepted({
      ...V3,
      services: [
        {
          ...base,
          protocol: "https",
          tls_verify: true,
          tls_verify_depth: 3,
          tags: ["a", "a", "b"],
        },
      ],
    });
    expect(Object.values(entities["services"] ?? {})[0]).toMatchObject({
      tls_verify: true,
      tags: ["a", "b"],
    });
  });
});
