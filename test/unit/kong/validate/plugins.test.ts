import { describe, expect, it } from "vitest";
import { MODELLED_PLUGINS } from "../../../../src/kong/validate/index.ts";
import { accepted, fieldsOf, firstEntityErrors, V3 } from "./helpers.ts";

const plugin = (name: string, config?: Record<string, unknown>) =>
  config === undefined ? { name } : { name, config };
const pluginEntity = (doc: Record<string, unknown>) =>
  Object.values(accepted({ ...V3, plugins: [doc] })["plugins"] ?? {})[0];

describe("plugins (§2.6)", () => {
  it("models the plugins a controller emits", () => {
    expect([...MODELLED_PLUGINS].sort()).toEqual([
      "acl",
      "basic-auth",
      "correlation-id",
      "cors",
      "ip-restriction",
      "jwt",
      "key-auth",
      "prometheus",
      "rate-limiting",
      "redirect",
      "request-termination",
      "request-transformer",
      "response-transformer",
    ]);
  });

  it("rejects a plugin that is not enabled, alone", () => {
    expect(
      firstEntityErrors(
        "plugins",
        { name: "cors", config: { nope: 1 } },
        { enabledPlugins: new Set(["key-auth"]) },
      ),
    ).toEqual({
      name: "plugin 'cors' not enabled; add it to the 'plugins' configuration property",
    });
  });

  it.each<[string, Record<string, unknown>, unknown]>([
    ["unknown config key", plugin("cors", { nope: 1 }), { config: { nope: "unknown field" } }],
    [
      "missing redirect location",
      plugin("redirect", {}),
      { config: { location: "required field missing" } },
    ],
    [
      "redirect without host",
      plugin("redirect", { location: "/path" }),
      { config: { location: "missing host in url" } },
    ],
    [
      "rate-limiting without limits",
      plugin("rate-limiting", {}),
      {
        "@entity": [
          "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
        ],
      },
    ],
    [
      "rate-limiting limits out of order",
      plugin("rate-limiting", { minute: 10, hour: 5 }),
      { config: "The limit for hour(5.0) cannot be lower than the limit for minute(10.0)" },
    ],
    [
      "rate-limiting by header without a header name",
      plugin("rate-limiting", { minute: 1, limit_by: "header" }),
      {
        config: { header_name: "required field missing" },
        "@entity": ["failed conditional validation given value of field 'config.limit_by'"],
      },
    ],
    [
      "acl with allow and deny",
      plugin("acl", { allow: ["a"], deny: ["b"] }),
      {
        "@entity": ["exactly one of these fields must be non-empty: 'config.allow', 'config.deny'"],
      },
    ],
    [
      "ip-restriction with a bad address",
      plugin("ip-restriction", { allow: ["10.0.0.300"] }),
      { config: { allow: ["invalid ip or cidr range: '10.0.0.300'"] } },
    ],
    [
      "request-termination message with body",
      plugin("request-termination", { message: "m", body: "b" }),
      { config: "message cannot be used with content_type or body" },
    ],
    [
      "request-termination status out of range",
      plugin("request-termination", { status_code: 700 }),
      { config: { status_code: "value should be between 100 and 599" } },
    ],
    [
      "request-transformer header without value",
      plugin("request-transformer", { add: { headers: ["x-a"] } }),
      { config: { add: { headers: ["invalid value: x-a"] } } },
    ],
    [
      "response-transformer json type",
      plugin("response-transformer", { add: { json_types: ["object"] } }),
      { config: { add: { json_types: ["expected one of: boolean, number, string"] } } },
    ],
    [
      "correlation-id generator",
      plugin("correlation-id", { generator: "x" }),
      { config: { generator: "expected one of: uuid, uuid#counter, tracker" } },
    ],
    [
      "cors bad origin regex",
      plugin("cors", { origins: ["("] }),
      { config: { origins: ["'(' is not a valid regex"] } },
    ],
    [
      "key-auth on a consumer",
      { name: "key-auth", consumer: "bob" },
      { consumer: "value must be null" },
    ],
    [
      "protocol a plugin does not run on",
      { name: "cors", protocols: ["tcp"] },
      { protocols: ["expected one of: grpc, grpcs, http, https"] },
    ],
  ])("%s", (_name, doc, expected) => {
    expect(firstEntityErrors("plugins", doc)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    [
      "key-auth",
      {
        key_names: ["apikey"],
        hide_credentials: false,
        key_in_header: true,
        key_in_query: true,
        key_in_body: false,
        run_on_preflight: true,
        anonymous: null,
        realm: null,
      },
    ],
    ["basic-auth", { hide_credentials: false, realm: "service", anonymous: null }],
    [
      "correlation-id",
      { header_name: "Kong-Request-ID", generator: "uuid#counter", echo_downstream: false },
    ],
    ["request-termination", { status_code: 503, echo: false, message: null, body: null }],
    [
      "request-transformer",
      { remove: { body: [], headers: [], querystring: [] }, http_method: null },
    ],
  ])("fills %s defaults", (name, config) => {
    expect(pluginEntity({ name })?.["config"]).toMatchObject(config);
  });

  it("fills plugin-level defaults and resolves references", () => {
    const entities = accepted({
      ...V3,
      services: [{ name: "s", host: "h" }],
      plugins: [{ name: "rate-limiting", service: "s", config: { minute: 5 } }],
    });
    const rl = Object.values(entities["plugins"] ?? {})[0];
    expect(rl).toMatchObject({
      enabled: true,
      protocols: ["grpc", "grpcs", "http", "https"],
      service: { id: Object.keys(entities["services"] ?? {})[0] },
      route: null,
      consumer: null,
      config: {
        minute: 5,
        policy: "local",
        limit_by: "consumer",
        redis: { port: 6379, host: null },
      },
    });
  });

  it("accepts any config for bundled plugins it does not model", () => {
    expect(pluginEntity({ name: "statsd", config: { anything: true } })?.["config"]).toEqual({
      anything: true,
    });
  });

  it("reports a plugin nested in a route that references a missing consumer by missing primary key", () => {
    const doc = {
      ...V3,
      routes: [
        {
          name: "r",
          paths: ["/"],
          plugins: [{ name: "rate-limiting", consumer: "bob", config: { minute: 1 } }],
        },
      ],
    };
    expect(fieldsOf(doc)).toEqual({
      routes: [{ plugins: [{ consumer: { id: "missing primary key" } }] }],
    });
  });

  it("resolves a nested plugin's other reference", () => {
    const entities = accepted({
      ...V3,
      consumers: [{ username: "bob" }],
      routes: [
        {
          name: "r",
          paths: ["/"],
          plugins: [{ name: "rate-limiting", consumer: "bob", config: { minute: 1 } }],
        },
      ],
    });
    expect(Object.values(entities["plugins"] ?? {})[0]).toMatchObject({
      consumer: { id: Object.keys(entities["consumers"] ?? {})[0] },
      route: { id: Object.keys(entities["routes"] ?? {})[0] },
    });
  });
});

describe("consumers and credentials (§2.6)", () => {
  it("needs a username or custom_id", () => {
    expect(firstEntityErrors("consumers", { tags: ["a"] })).toEqual({
      "@entity": ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    });
  });

  it("rejects duplicate usernames at the array position", () => {
    expect(fieldsOf({ ...V3, consumers: [{ username: "bob" }, { username: "bob" }] })).toEqual({
      consumers: [
        null,
        "uniqueness violation: 'consumers' entity with username set to 'bob' already declared",
      ],
    });
  });

  it("knows credential collections only when their plugin is enabled", () => {
    expect(fieldsOf({ ...V3, acls: [] }, { enabledPlugins: new Set(["cors"]) })).toEqual({
      acls: "unknown field",
    });
  });
});
