import { describe, expect, it } from "vitest";
import {
  describeProblem,
  failuresByObject,
  objectsInConfig,
  parseFlattenedErrors,
  refFromTags,
} from "../../../src/kong/flattened-errors.ts";
import { errorBodySchema } from "../../../src/kong/responses.ts";

describe("refFromTags", () => {
  it.each([
    [
      "namespaced core object",
      ["k8s-name:web", "k8s-namespace:shop", "k8s-kind:Service", "k8s-uid:u1", "k8s-version:v1"],
      { group: "", version: "v1", kind: "Service", namespace: "shop", name: "web", uid: "u1" },
    ],
    [
      "grouped object with user tags after",
      [
        "k8s-name:web",
        "k8s-namespace:shop",
        "k8s-kind:Ingress",
        "k8s-group:networking.k8s.io",
        "k8s-version:v1",
        "team:a",
      ],
      {
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        namespace: "shop",
        name: "web",
      },
    ],
    [
      "cluster-scoped object",
      ["k8s-name:kong", "k8s-kind:IngressClass", "k8s-group:networking.k8s.io", "k8s-version:v1"],
      {
        group: "networking.k8s.io",
        version: "v1",
        kind: "IngressClass",
        namespace: "",
        name: "kong",
      },
    ],
    [
      "first value of a repeated prefix wins",
      ["k8s-name:a", "k8s-name:b", "k8s-kind:Service"],
      { group: "", version: "", kind: "Service", namespace: "", name: "a" },
    ],
    ["no kind", ["k8s-name:web", "k8s-namespace:shop"], undefined],
    ["no name", ["k8s-kind:Service"], undefined],
    ["not strings", [1, null, { a: 1 }], undefined],
    ["no tags", [], undefined],
  ])("%s", (_name, tags, expected) => {
    expect(refFromTags(tags)).toEqual(expected);
  });
});

describe("parseFlattenedErrors", () => {
  const body = errorBodySchema.parse({
    code: 14,
    message: "declarative config is invalid: {}",
    fields: {},
    flattened_errors: [
      {
        entity_type: "route",
        entity_name: "shop.web.web.80..",
        entity_id: "481a9539-f49c-51b6-b2e2-fe99ee68866c",
        entity_tags: ["k8s-name:web", "k8s-namespace:shop", "k8s-kind:Ingress"],
        errors: [
          { type: "field", field: "paths.1", message: "must not have empty segments" },
          { type: "entity", messages: ["one", "two"] },
        ],
      },
      { entity_type: "upstream", entity_name: "kong", errors: [{ type: "entity", message: "x" }] },
    ],
  });

  it("keeps names, ids, object refs and every problem", () => {
    expect(parseFlattenedErrors(body)).toEqual([
      {
        entityType: "route",
        entityName: "shop.web.web.80..",
        entityId: "481a9539-f49c-51b6-b2e2-fe99ee68866c",
        ref: { group: "", version: "", kind: "Ingress", namespace: "shop", name: "web" },
        problems: [
          { field: "paths.1", message: "must not have empty segments" },
          { message: "one" },
          { message: "two" },
        ],
      },
      { entityType: "upstream", entityName: "kong", problems: [{ message: "x" }] },
    ]);
  });

  it("is empty without flattened_errors", () => {
    expect(
      parseFlattenedErrors(errorBodySchema.parse({ message: "Cannot parse JSON body" })),
    ).toEqual([]);
  });

  it("groups failures by object and drops the ones without tags", () => {
    expect(failuresByObject(parseFlattenedErrors(body))).toEqual([
      {
        ref: { group: "", version: "", kind: "Ingress", namespace: "shop", name: "web" },
        messages: [
          "route (shop.web.web.80..): invalid paths.1: must not have empty segments",
          "route (shop.web.web.80..): one",
          "route (shop.web.web.80..): two",
        ],
      },
    ]);
  });

  it.each([
    [{ field: "path", message: "value must be null" }, "invalid path: value must be null"],
    [{ message: "certificate does not match key" }, "certificate does not match key"],
  ])("describes %j", (problem, text) => {
    expect(describeProblem(problem)).toBe(text);
  });
});

describe("objectsInConfig", () => {
  it("finds objects in nested entities of our config", () => {
    const config = {
      _format_version: "3.0",
      services: [
        {
          name: "s",
          tags: ["k8s-name:web", "k8s-namespace:shop", "k8s-kind:Service", "k8s-version:v1"],
          routes: [
            {
              name: "r",
              tags: ["k8s-name:web", "k8s-namespace:shop", "k8s-kind:Ingress", "k8s-version:v1"],
            },
          ],
        },
      ],
      upstreams: [
        {
          name: "kong",
          targets: [{ target: "10.0.0.1:80", tags: ["k8s-name:web-x", "k8s-kind:EndpointSlice"] }],
        },
      ],
    };
    expect([...objectsInConfig(config).keys()].sort()).toEqual([
      "EndpointSlice/web-x",
      "Ingress/shop/web",
      "Service/shop/web",
    ]);
  });

  it("finds objects in Kong's flat dump", () => {
    const dump = {
      _format_version: "3.0",
      _transform: false,
      routes: [{ name: "r", service: "abc", tags: ["k8s-name:a", "k8s-kind:Ingress"] }],
      plugins: [{ name: "cors", config: { origins: ["*"] }, tags: null }],
    };
    expect([...objectsInConfig(dump).keys()]).toEqual(["Ingress/a"]);
  });
});
