import { describe, expect, it } from "vitest";
import { deterministicId } from "../../../../src/kong/validate/ids.ts";
import { toErrorBody, validateDeclarativeConfig } from "../../../../src/kong/validate/index.ts";
import { accepted, fieldsOf, V3 } from "./helpers.ts";

describe("top level (§2.1)", () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    ["missing _format_version", { services: [] }, { _format_version: "required field missing" }],
    ["numeric _format_version", { _format_version: 3.0 }, { _format_version: "expected a string" }],
    [
      "unsupported _format_version",
      { _format_version: "4.0" },
      { _format_version: "expected one of: 1.1, 2.1, 3.0" },
    ],
    ["unknown key", { ...V3, foo: [] }, { foo: "unknown field" }],
    ["enterprise key", { ...V3, consumer_groups: [] }, { consumer_groups: "unknown field" }],
    ["collection not an array", { ...V3, services: "x" }, { services: "expected an array" }],
    ["entity not a record", { ...V3, services: ["x"] }, { services: ["expected a record"] }],
    [
      "vault not installed",
      { ...V3, vaults: [{ name: "nope", prefix: "my-vault" }] },
      { vaults: [{ name: "vault 'nope' is not installed" }] },
    ],
    ["_transform not boolean", { ...V3, _transform: "yes" }, { _transform: "expected a boolean" }],
  ])("%s", (_name, doc, expected) => {
    expect(fieldsOf(doc)).toEqual(expected);
  });

  it("accepts _comment and _ignore at the top and inside entities", () => {
    const entities = accepted({
      ...V3,
      _comment: "hello",
      _ignore: [1, "x"],
      services: [{ name: "s", host: "h", _comment: "c", _ignore: [{}] }],
    });
    expect(Object.values(entities["services"] ?? {})[0]).not.toHaveProperty("_comment");
  });

  it("takes an empty map for an empty nested collection, as cjson does", () => {
    const entities = accepted({
      ...V3,
      services: [{ name: "s", host: "h", routes: {}, plugins: {} }],
      upstreams: [{ name: "u", targets: {} }],
    });
    expect(Object.keys(entities["services"] ?? {})).toHaveLength(1);
    expect(Object.keys(entities["upstreams"] ?? {})).toHaveLength(1);
    expect(entities["routes"]).toBeUndefined();
  });

  it("answers an empty map for an empty config", () => {
    expect(accepted(V3)).toEqual({});
  });

  it("treats a non-object document as unparsable", () => {
    const result = validateDeclarativeConfig(["x"]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(toErrorBody(result.error, { flatten: true })).toEqual({
        code: 14,
        name: "invalid declarative configuration",
        message:
          'declarative config is invalid: {error="failed parsing declarative configuration: expected an object"}',
        fields: { error: "failed parsing declarative configuration: expected an object" },
      });
    }
  });
});

describe("nesting (§2.2)", () => {
  it("overwrites a parent link spelled out in a nested child", () => {
    const entities = accepted({
      ...V3,
      services: [
        { name: "s", host: "h", routes: [{ name: "r", paths: ["/"], service: "elsewhere" }] },
      ],
    });
    expect(Object.values(entities["routes"] ?? {})[0]?.["service"]).toEqual({
      id: deterministicId("services", "s"),
    });
  });

  it("nests services under certificates through client_certificate", () => {
    const entities = accepted({
      ...V3,
      certificates: [
        {
          id: "3e6bcdbb-7a46-4e71-9ef4-4a8de6e0b3f1",
          cert: "{vault://env/c}",
          key: "{vault://env/k}",
          services: [{ name: "s", host: "h", protocol: "https" }],
        },
      ],
    });
    expect(Object.values(entities["services"] ?? {})[0]?.["client_certificate"]).toEqual({
      id: "3e6bcdbb-7a46-4e71-9ef4-4a8de6e0b3f1",
    });
  });

  it("places uniqueness errors of deeply nested entities under their immediate parent (Kong quirk)", () => {
    const doc = {
      ...V3,
      services: [
        {
          name: "s",
          host: "h",
          routes: [{ name: "r", paths: ["/"], plugins: [{ name: "cors" }, { name: "cors" }] }],
        },
      ],
    };
    const fields = fieldsOf(doc) as { routes: [{ plugins: unknown[] }] };
    expect(Object.keys(fields)).toEqual(["routes"]);
    expect(fields.routes[0].plugins[1]).toMatch(
      /^uniqueness violation: 'plugins' entity with primary key set to/,
    );
  });

  it("adds `value must be null` for nested foreign fields when validation fails for another reason", () => {
    const doc = {
      ...V3,
      consumers: [{ username: "bob" }],
      routes: [
        {
          name: "r",
          paths: ["/"],
          plugins: [{ name: "rate-limiting", consumer: "bob", config: {} }],
        },
      ],
    };
    expect(fieldsOf(doc)).toEqual({
      routes: [
        {
          plugins: [
            {
              consumer: "value must be null",
              "@entity": [
                "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
              ],
            },
          ],
        },
      ],
    });
  });
});

describe("references (§2.3)", () => {
  const serviceId = deterministicId("services", "svc");

  it.each<[string, unknown]>([
    ["by name", "svc"],
    ["by id", serviceId],
    ["by {id}", { id: serviceId }],
  ])("resolves a route's service %s", (_name, service) => {
    const entities = accepted({
      ...V3,
      services: [{ name: "svc", host: "h" }],
      routes: [{ name: "r", paths: ["/"], service }],
    });
    expect(Object.values(entities["routes"] ?? {})[0]?.["service"]).toEqual({ id: serviceId });
  });

  it("keys unresolved references of unnamed entities by id", () => {
    const fields = fieldsOf({ ...V3, routes: [{ paths: ["/"], service: "nope" }] }) as {
      routes: Record<string, unknown>;
    };
    const [[key, messages]] = Object.entries(fields.routes) as [[string, unknown]];
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(messages).toEqual(["invalid reference 'service: nope' (no such entry in 'services')"]);
  });

  it("mixes positional and keyed errors of one collection as a keyed table", () => {
    const doc = {
      ...V3,
      routes: [
        { name: "a", paths: ["/"], service: "nope" },
        { name: "a", paths: ["/x"] },
      ],
    };
    expect(fieldsOf(doc)).toEqual({
      routes: {
        "2": "uniqueness violation: 'routes' entity with name set to 'a' already declared",
        a: ["invalid reference 'service: nope' (no such entry in 'services')"],
      },
    });
  });

  it("rejects a malformed {id}", () => {
    expect(
      fieldsOf({ ...V3, routes: [{ name: "r", paths: ["/"], service: { id: "x" } }] }),
    ).toEqual({
      routes: [{ service: { id: "expected a valid UUID" } }],
    });
  });
});
