import { describe, expect, it } from "vitest";
import {
  upstreamEntityProblems,
  upstreamFieldProblem,
  type UpstreamField,
} from "../../../../src/kong/validate/fields.ts";
import { accepted, firstEntityErrors, V3 } from "./helpers.ts";

const conditional = (field: string) =>
  `failed conditional validation given value of field '${field}'`;

describe("upstreams (§2.6)", () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    ["missing name", {}, { name: "required field missing" }],
    [
      "name with space",
      { name: "a b" },
      { name: "Invalid name ('a b'); must be a valid hostname" },
    ],
    [
      "ip as name",
      { name: "10.0.0.1" },
      { name: "Invalid name ('10.0.0.1'); no ip addresses allowed" },
    ],
    [
      "name with port",
      { name: "u.example:80" },
      { name: "Invalid name ('u.example:80'); no port allowed" },
    ],
    [
      "unknown algorithm",
      { name: "u", algorithm: "random" },
      { algorithm: "expected one of: consistent-hashing, least-connections, round-robin, latency" },
    ],
    ["slots too small", { name: "u", slots: 5 }, { slots: "value should be between 10 and 65536" }],
    [
      "hash_on header without header name",
      { name: "u", hash_on: "header" },
      { hash_on_header: "required field missing", "@entity": [conditional("hash_on")] },
    ],
    [
      "hash_on cookie with a fallback",
      { name: "u", hash_on: "cookie", hash_on_cookie: "c", hash_fallback: "ip" },
      { hash_fallback: "expected one of: none", "@entity": [conditional("hash_on")] },
    ],
    [
      "fallback without hash_on",
      { name: "u", hash_fallback: "ip" },
      { hash_fallback: "expected one of: none", "@entity": [conditional("hash_on")] },
    ],
    [
      "same hash_on and fallback",
      { name: "u", hash_on: "ip", hash_fallback: "ip" },
      { "@entity": ["values of these fields must be distinct: 'hash_on', 'hash_fallback'"] },
    ],
    [
      "same header twice",
      {
        name: "u",
        hash_on: "header",
        hash_on_header: "x",
        hash_fallback: "header",
        hash_fallback_header: "x",
      },
      {
        "@entity": [
          "values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'",
        ],
      },
    ],
    [
      "bad healthcheck concurrency",
      { name: "u", healthchecks: { active: { concurrency: 0 } } },
      { healthchecks: { active: { concurrency: "value should be between 1 and 2147483648" } } },
    ],
    [
      "bad host_header",
      { name: "u", host_header: "a b" },
      { host_header: "invalid hostname: a b" },
    ],
  ])("%s", (_name, upstream, expected) => {
    expect(firstEntityErrors("upstreams", upstream)).toEqual(expected);
  });

  it("fills defaults, including the healthchecks record", () => {
    const upstream = Object.values(
      accepted({ ...V3, upstreams: [{ name: "u.example" }] })["upstreams"] ?? {},
    )[0];
    expect(upstream).toMatchObject({
      algorithm: "round-robin",
      hash_on: "none",
      hash_fallback: "none",
      hash_on_cookie_path: "/",
      slots: 10000,
      use_srv_name: false,
      healthchecks: {
        threshold: 0,
        active: {
          type: "http",
          timeout: 1,
          concurrency: 10,
          http_path: "/",
          https_verify_certificate: true,
          healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
          unhealthy: {
            interval: 0,
            http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
            tcp_failures: 0,
            timeouts: 0,
            http_failures: 0,
          },
        },
      },
    });
  });

  it("switches to consistent-hashing when hashing", () => {
    const upstream = Object.values(
      accepted({ ...V3, upstreams: [{ name: "u", hash_on: "ip" }] })["upstreams"] ?? {},
    )[0];
    expect(upstream?.["algorithm"]).toBe("consistent-hashing");
  });
});

describe("upstream fields one at a time (the translator's KongUpstreamPolicy check)", () => {
  it.each<[UpstreamField, unknown, string | undefined]>([
    ["slots", 100, undefined],
    ["slots", 5, "value should be between 10 and 65536"],
    [
      "algorithm",
      "random",
      "expected one of: consistent-hashing, least-connections, round-robin, latency",
    ],
    ["hash_on", "ip", undefined],
    [
      "healthchecks",
      { active: { http_path: "healthz", healthy: { http_statuses: [200, 99] } } },
      "active.http_path: should start with: /; active.healthy.http_statuses[1]: value should be between 100 and 999",
    ],
    ["healthchecks", { passive: { unhealthy: { http_failures: 5 } } }, undefined],
  ])("%s = %j", (field, value, message) => {
    expect(upstreamFieldProblem(field, value)).toBe(message);
  });

  it.each<[string, Record<string, unknown>, readonly string[]]>([
    ["header hash with its header", { hash_on: "header", hash_on_header: "x-user" }, []],
    [
      "header hash without its header",
      { hash_on: "header" },
      [conditional("hash_on"), "hash_on_header: required field missing"],
    ],
    [
      "same hash_on and fallback",
      { hash_on: "ip", hash_fallback: "ip" },
      ["values of these fields must be distinct: 'hash_on', 'hash_fallback'"],
    ],
  ])("ties fields together: %s", (_, fields, messages) => {
    expect(upstreamEntityProblems(fields)).toEqual(messages);
  });
});

describe("targets (§2.6)", () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    [
      "bad target",
      { target: "a b:80" },
      { target: "Invalid target ('a b:80'); not a valid hostname or ip address" },
    ],
    [
      "bad port",
      { target: "a:99999" },
      { target: "Invalid target ('a:99999'); not a valid hostname or ip address" },
    ],
    [
      "weight too large",
      { target: "a:80", weight: 70000 },
      { weight: "value should be between 0 and 65535" },
    ],
    ["missing target", {}, { target: "required field missing" }],
  ])("%s", (_name, target, expected) => {
    const fields = firstEntityErrors("upstreams", { name: "u", targets: [target] });
    expect(fields).toEqual({ targets: [expected] });
  });

  it("requires the upstream for a top-level target", () => {
    expect(firstEntityErrors("targets", { target: "a:80" })).toEqual({
      upstream: "required field missing",
    });
  });

  it.each(["10.0.0.1", "10.0.0.1:8080", "[::1]:80", "::1", "svc.ns.svc.cluster.local:80"])(
    "accepts %s",
    target => {
      const entities = accepted({ ...V3, upstreams: [{ name: "u", targets: [{ target }] }] });
      expect(Object.values(entities["targets"] ?? {})[0]).toMatchObject({ target, weight: 100 });
    },
  );

  it("resolves a top-level target's upstream by name", () => {
    const entities = accepted({
      ...V3,
      upstreams: [{ name: "u" }],
      targets: [{ target: "a:1", upstream: "u" }],
    });
    const upstreamId = Object.keys(entities["upstreams"] ?? {})[0];
    expect(Object.values(entities["targets"] ?? {})[0]?.["upstream"]).toEqual({ id: upstreamId });
  });
});
