/**
 * The bundled plugins' config schemas against Kong 3.x's `schema.lua` rules and messages, one table
 * per plugin family: what `kongress validate` and the Admin API emulator reject, in Kong's words.
 */
import { describe, expect, it } from "vitest";
import { describeProblems } from "../../../../src/kong/validate/index.ts";
import { accepted, firstEntityErrors, rejected, V3 } from "./helpers.ts";

type Case = [name: string, plugin: Record<string, unknown>, errors: unknown];

const plugin = (name: string, config: Record<string, unknown>) => ({ name, config });
const configOf = (doc: Record<string, unknown>) =>
  Object.values(accepted({ ...V3, plugins: [doc] })["plugins"] ?? {})[0]?.["config"];
const expectErrors = (doc: Record<string, unknown>, errors: unknown) => {
  expect(firstEntityErrors("plugins", doc)).toEqual(errors);
};

const BAD_HEADER = (n: string) =>
  `bad header name '${n}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;

describe("jwt", () => {
  it.each<Case>([
    [
      "claim it cannot verify",
      plugin("jwt", { claims_to_verify: ["iat"] }),
      { config: { claims_to_verify: ["expected one of: exp, nbf"] } },
    ],
    [
      "maximum_expiration out of range",
      plugin("jwt", { maximum_expiration: 31536001, claims_to_verify: ["exp"] }),
      { config: { maximum_expiration: "value should be between 0 and 31536000" } },
    ],
    [
      "maximum_expiration without verifying exp",
      plugin("jwt", { maximum_expiration: 60, claims_to_verify: ["nbf"] }),
      {
        config: { claims_to_verify: "expected to contain: exp" },
        "@entity": [
          "failed conditional validation given value of field 'config.maximum_expiration'",
        ],
      },
    ],
    [
      "header_names that is not a set",
      plugin("jwt", { header_names: "authorization" }),
      { config: { header_names: "expected a set" } },
    ],
    ["on a consumer", { name: "jwt", consumer: "bob" }, { consumer: "value must be null" }],
    ["unknown field", plugin("jwt", { secret: "s" }), { config: { secret: "unknown field" } }],
  ])("rejects %s", (_name, doc, errors) => {
    expectErrors(doc, errors);
  });

  it("fills Kong's defaults", () => {
    expect(configOf({ name: "jwt" })).toEqual({
      uri_param_names: ["jwt"],
      cookie_names: [],
      key_claim_name: "iss",
      secret_is_base64: false,
      claims_to_verify: null,
      anonymous: null,
      run_on_preflight: true,
      maximum_expiration: 0,
      header_names: ["authorization"],
      realm: null,
    });
  });

  it("accepts maximum_expiration with exp verified, and de-duplicates its sets", () => {
    expect(
      configOf(plugin("jwt", { maximum_expiration: 60, claims_to_verify: ["exp", "exp", "nbf"] })),
    ).toMatchObject({ maximum_expiration: 60, claims_to_verify: ["exp", "nbf"] });
  });
});

describe("prometheus", () => {
  it.each<Case>([
    [
      "a flag that is not a boolean",
      plugin("prometheus", { per_consumer: "yes" }),
      { config: { per_consumer: "expected a boolean" } },
    ],
    [
      "an option Kong does not have",
      plugin("prometheus", { per_route: true }),
      { config: { per_route: "unknown field" } },
    ],
    [
      "an unknown protocol",
      { name: "prometheus", protocols: ["ftp"] },
      {
        protocols: ["expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp"],
      },
    ],
  ])("rejects %s", (_name, doc, errors) => {
    expectErrors(doc, errors);
  });

  it("runs on every protocol by default and fills its flags", () => {
    const entity = Object.values(
      accepted({ ...V3, plugins: [{ name: "prometheus", config: { per_consumer: true } }] })[
        "plugins"
      ] ?? {},
    )[0];
    expect(entity).toMatchObject({
      protocols: ["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"],
      config: {
        per_consumer: true,
        status_code_metrics: false,
        latency_metrics: false,
        bandwidth_metrics: false,
        upstream_health_metrics: false,
        ai_metrics: false,
      },
    });
  });

  it("accepts a stream route's protocols", () => {
    expect(configOf({ name: "prometheus", protocols: ["tcp", "udp"] })).toMatchObject({
      per_consumer: false,
    });
  });
});

describe("corrections to the earlier schemas", () => {
  it.each<Case>([
    [
      "rate-limiting cluster policy (DB-less Kong has none)",
      plugin("rate-limiting", { minute: 1, policy: "cluster" }),
      { config: { policy: "expected one of: local, redis" } },
    ],
    [
      "rate-limiting header_name with a space",
      plugin("rate-limiting", { minute: 1, limit_by: "header", header_name: "x y" }),
      { config: { header_name: BAD_HEADER("x y") } },
    ],
    [
      "rate-limiting redis policy without a host",
      plugin("rate-limiting", { minute: 1, policy: "redis" }),
      {
        config: { redis: { host: "required field missing" } },
        "@entity": ["failed conditional validation given value of field 'config.policy'"],
      },
    ],
    [
      "request-termination trigger that is no header name",
      plugin("request-termination", { trigger: "a b" }),
      { config: { trigger: BAD_HEADER("a b") } },
    ],
    ["cors on a consumer", { name: "cors", consumer: "bob" }, { consumer: "value must be null" }],
    [
      "correlation-id without a generator",
      plugin("correlation-id", { generator: null }),
      { config: { generator: "required field missing" } },
    ],
    [
      "key-auth key name with a colon",
      plugin("key-auth", { key_names: ["api:key"] }),
      { config: { key_names: [BAD_HEADER("api:key")] } },
    ],
    [
      "request-transformer removing a header with a space",
      plugin("request-transformer", { remove: { headers: ["x y"] } }),
      { config: { remove: { headers: ["'x y' is not a valid header"] } } },
    ],
    [
      "request-transformer adding a header with a bad name",
      plugin("request-transformer", { add: { headers: ["x y:v"] } }),
      { config: { add: { headers: ["'x y' is not a valid header"] } } },
    ],
    [
      "request-transformer renaming a header to a bad name",
      plugin("request-transformer", { rename: { headers: ["a:b c"] } }),
      { config: { rename: { headers: ["'b c' is not a valid header"] } } },
    ],
    [
      "request-transformer querystring with an empty value",
      plugin("request-transformer", { add: { querystring: ["q:"] } }),
      { config: { add: { querystring: ["key 'q' has no value"] } } },
    ],
    [
      "response-transformer renaming a header to a bad name",
      plugin("response-transformer", { rename: { headers: ["a:b c"] } }),
      { config: { rename: { headers: ["'b c' is not a valid header"] } } },
    ],
  ])("rejects %s", (_name, doc, errors) => {
    expectErrors(doc, errors);
  });

  it.each<[string, Record<string, unknown>]>([
    ["rate-limiting redis without a password", { minute: 1, redis: { password: "" } }],
    ["request-transformer header values with colons", { add: { headers: ["x-a:b:c"] } }],
  ])("accepts %s", (_name, config) => {
    const name = _name.split(" ")[0] ?? "";
    expect(configOf(plugin(name, config))).toMatchObject(config);
  });

  it("lets ip-restriction run on any protocol, defaulting to the six it documents", () => {
    expect(
      configOf({ name: "ip-restriction", protocols: ["udp"], config: { allow: ["10.0.0.0/8"] } }),
    ).toMatchObject({ allow: ["10.0.0.0/8"] });
    const entity = Object.values(
      accepted({ ...V3, plugins: [{ name: "ip-restriction", config: { deny: ["::1"] } }] })[
        "plugins"
      ] ?? {},
    )[0];
    expect(entity?.["protocols"]).toEqual(["http", "https", "tcp", "tls", "grpc", "grpcs"]);
  });
});

describe("what kongress validate prints for a broken plugin", () => {
  it("names the plugin, the object it came from, the field and Kong's message", () => {
    const tags = ["k8s-name:limits", "k8s-namespace:shop", "k8s-kind:KongPlugin"];
    const doc = {
      ...V3,
      services: [
        {
          name: "shop.web.80",
          host: "web.shop.80.svc",
          plugins: [
            { name: "rate-limiting", tags, config: { minute: 5, policy: "cluster" } },
            { name: "jwt", tags, config: { maximum_expiration: 60, claims_to_verify: ["nbf"] } },
          ],
        },
      ],
    };
    // Kong's drain order: the last entity's errors come first.
    expect(describeProblems(rejected(doc))).toEqual([
      "plugin jwt (KongPlugin/shop/limits): config.claims_to_verify: expected to contain: exp",
      "plugin jwt (KongPlugin/shop/limits): failed conditional validation given value of field 'config.maximum_expiration'",
      "plugin rate-limiting (KongPlugin/shop/limits): config.policy: expected one of: local, redis",
    ]);
  });
});
