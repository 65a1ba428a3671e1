import { describe, expect, it } from "vitest";
import { deterministicId } from "../../../../src/kong/validate/ids.ts";
import { describeProblems, renderLua, toErrorBody } from "../../../../src/kong/validate/index.ts";
import { quoteLuaString } from "../../../../src/kong/validate/lua-render.ts";
import { rejected, V3 } from "./helpers.ts";

const TAGS = [
  "k8s-name:httpbin",
  "k8s-namespace:default",
  "k8s-kind:Service",
  "k8s-uid:3f1c",
  "k8s-version:v1",
];
const tcpService = {
  name: "default.httpbin.80",
  host: "httpbin.default.80.svc",
  port: 80,
  protocol: "tcp",
  path: "/x",
  tags: TAGS,
};

describe("nested error body (§3.4)", () => {
  it("renders the message as a Lua table with sorted keys", () => {
    const error = rejected({ ...V3, services: [{ name: "s", port: 70000 }] });
    expect(toErrorBody(error, { flatten: false })).toEqual({
      code: 14,
      name: "invalid declarative configuration",
      message:
        'declarative config is invalid: {services={{host="required field missing",port="value should be between 0 and 65535"}}}',
      fields: {
        services: [{ host: "required field missing", port: "value should be between 0 and 65535" }],
      },
    });
  });

  it("puts null at positions without errors and recurses into nested collections", () => {
    const doc = {
      ...V3,
      services: [
        { name: "ok", host: "a.example" },
        {
          name: "bad",
          host: "b.example",
          routes: [
            { name: "r1", paths: ["/"] },
            { name: "r2", paths: ["x"] },
          ],
        },
      ],
    };
    const body = toErrorBody(rejected(doc), { flatten: false });
    expect(body["fields"]).toEqual({
      services: [
        null,
        { routes: [null, { paths: ["should start with: / (fixed path) or ~/ (regex path)"] }] },
      ],
    });
    expect(body["message"]).toBe(
      `declarative config is invalid: {services={[2]={routes={[2]={paths={"should start with: / (fixed path) or ~/ (regex path)"}}}}}}`,
    );
  });

  it("keeps top-level problems at the top level", () => {
    const body = toErrorBody(rejected({ foo: [] }), { flatten: false });
    expect(body["fields"]).toEqual({
      _format_version: "required field missing",
      foo: "unknown field",
    });
  });

  it("keys reference errors by the referrer's name", () => {
    const body = toErrorBody(
      rejected({ ...V3, routes: [{ name: "my-route", paths: ["/"], service: "svc1" }] }),
      {
        flatten: false,
      },
    );
    expect(body["fields"]).toEqual({
      routes: { "my-route": ["invalid reference 'service: svc1' (no such entry in 'services')"] },
    });
  });

  it("JSON-encodes {id} references in the message", () => {
    const id = "9a4c0e1f-7b3d-4a8c-9e5f-4d3c2b1a0f9e";
    const body = toErrorBody(
      rejected({ ...V3, routes: [{ name: "r", paths: ["/"], service: { id } }] }),
      {
        flatten: false,
      },
    );
    expect(body["fields"]).toEqual({
      routes: { r: [`invalid reference 'service: {"id":"${id}"}' (no such entry in 'services')`] },
    });
  });

  it("keys late uniqueness errors by endpoint key, keeping only the last per collection", () => {
    const doc = {
      ...V3,
      consumers: [
        { username: "a", custom_id: "conflict" },
        { username: "b", custom_id: "conflict" },
        { username: "c", custom_id: "conflict" },
      ],
    };
    expect(toErrorBody(rejected(doc), { flatten: false })["fields"]).toEqual({
      consumers: {
        c: "uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared",
      },
    });
  });

  it("replaces a duplicate entity's entry with the uniqueness string", () => {
    const doc = {
      ...V3,
      services: [
        { name: "foo", host: "a.example" },
        { name: "foo", host: "b.example" },
      ],
    };
    expect(toErrorBody(rejected(doc), { flatten: false })["fields"]).toEqual({
      services: [
        null,
        "uniqueness violation: 'services' entity with name set to 'foo' already declared",
      ],
    });
  });
});

describe("flattened error body (§3.5)", () => {
  it("matches KIC's captured fixture shape for a tcp service with a path", () => {
    const body = toErrorBody(rejected({ ...V3, services: [tcpService] }), { flatten: true });
    expect(body).toEqual({
      code: 14,
      name: "invalid declarative configuration",
      message: "declarative config is invalid: {}",
      fields: {},
      flattened_errors: [
        {
          entity_type: "service",
          entity_name: "default.httpbin.80",
          entity_tags: TAGS,
          entity: tcpService,
          errors: [
            { type: "field", field: "path", message: "value must be null" },
            {
              type: "entity",
              message: "failed conditional validation given value of field 'protocol'",
            },
          ],
        },
      ],
    });
  });

  it("orders collections reverse-alphabetically, entities by descending index, children before parents", () => {
    const doc = {
      ...V3,
      services: [
        { name: "s1", port: -1, host: "a.example" },
        { name: "s2", port: -1, host: "b.example", routes: [{ name: "r", paths: ["x"] }] },
      ],
      upstreams: [{ name: "bad name" }],
    };
    const entries = rejected(doc).flattened_errors.map(
      e => `${e.entity_type}:${e.entity_name ?? ""}`,
    );
    expect(entries).toEqual(["upstream:bad name", "route:r", "service:s2", "service:s1"]);
  });

  it("uses 1-based dotted paths in reverse-sorted order", () => {
    const doc = { ...V3, services: [{ name: "s", host: "h", tags: ["a,", "ok", "b/"], port: -1 }] };
    const [entry] = rejected(doc).flattened_errors;
    expect(entry?.errors.map(e => (e.type === "field" ? e.field : "@entity"))).toEqual([
      "tags.3",
      "tags.1",
      "port",
    ]);
  });

  it("adds the parent link {id} to nested children once ids are derived", () => {
    const doc = {
      ...V3,
      upstreams: [{ name: "u.example", targets: [{ target: "a:1" }, { target: "a:1" }] }],
    };
    const [entry] = rejected(doc).flattened_errors;
    const upstreamId = deterministicId("upstreams", "u.example");
    expect(entry?.entity).toMatchObject({ target: "a:1", upstream: { id: upstreamId } });
    expect(entry?.entity_id).toBe(entry?.entity["id"]);
    const targetId = String(entry?.entity["id"]);
    expect(entry?.errors).toEqual([
      {
        type: "entity",
        message: `uniqueness violation: 'targets' entity with primary key set to '${targetId}' already declared`,
      },
    ]);
  });

  it("drops errors keyed by name when the collection is top-level (Kong quirk)", () => {
    const error = rejected({
      ...V3,
      routes: [{ name: "my-route", paths: ["/"], service: "svc1" }],
    });
    expect(toErrorBody(error, { flatten: true })).toEqual({
      code: 14,
      name: "invalid declarative configuration",
      message: "declarative config is invalid: {}",
      fields: {},
      flattened_errors: [],
    });
  });

  it("leaves top-level problems in fields", () => {
    const body = toErrorBody(
      rejected({ _format_version: 3, services: [{ host: "x", port: -1 }] }),
      { flatten: true },
    );
    expect(body["fields"]).toEqual({ _format_version: "expected a string" });
    expect(body["message"]).toBe(
      'declarative config is invalid: {_format_version="expected a string"}',
    );
    expect(body["flattened_errors"]).toHaveLength(1);
  });

  it("omits entity_name, entity_id and entity_tags when the input has none", () => {
    const [entry] = rejected({ ...V3, consumers: [{ tags: "x" }] }).flattened_errors;
    expect(Object.keys(entry ?? {})).toEqual(["entity_type", "entity", "errors"]);
  });
});

describe("Lua rendering", () => {
  it.each<[unknown, string]>([
    [{}, "{}"],
    [{ b: "x", a: ["y"] }, '{a={"y"},b="x"}'],
    [[null, "x"], '{[2]="x"}'],
    [["a", null, "c"], '{"a",[3]="c"}'],
    [{ "@entity": ["m"] }, '{["@entity"]={"m"}}'],
    [{ end: "kw" }, '{["end"]="kw"}'],
    [{ k: 'say "hi" \\ ok' }, '{k="say \\"hi\\" \\\\ ok"}'],
  ])("%j -> %s", (value, text) => {
    expect(renderLua(value)).toBe(text);
  });

  it("quotes multi-line strings with long brackets", () => {
    expect(quoteLuaString("a\nb")).toBe("[[a\nb]]");
    expect(quoteLuaString("a]]\nb")).toBe("[=[a]]\nb]=]");
  });
});

describe("describeProblems", () => {
  it("prints one line per problem with the Kubernetes object from the tags", () => {
    const error = rejected({ ...V3, services: [tcpService], foo: 1 });
    expect(describeProblems(error)).toEqual([
      "service default.httpbin.80 (Service/default/httpbin): path: value must be null",
      "service default.httpbin.80 (Service/default/httpbin): failed conditional validation given value of field 'protocol'",
      "foo: unknown field",
    ]);
  });
});
