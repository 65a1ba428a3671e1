import { describe, expect, it } from "vitest";
import {
  cacheKeyString,
  collectionNamespace,
  deterministicId,
  NS_ENTITIES,
  uuidV5,
} from "../../../../src/kong/validate/ids.ts";
import { accepted, fieldsOf, V3 } from "./helpers.ts";

describe("deterministic ids (§2.4)", () => {
  it.each([
    ["services", "my-service", "0855b320-0dd2-547d-891d-601e9b38647f"],
    ["routes", "my-route", "481a9539-f49c-51b6-b2e2-fe99ee68866c"],
    ["consumers", "my-user", "4b1b701d-de2b-5588-9aa2-3b97061d9f52"],
    ["services", "foo", "2933fbcc-9d7c-54a7-a984-fe2bde836cea"],
    ["routes", "foo-r", "76d41e94-f9d5-54c2-9de7-c23f30d66286"],
  ])("%s %s -> %s (Kong's fixtures)", (collection, name, id) => {
    expect(deterministicId(collection, name)).toBe(id);
  });

  it("derives the collection namespace as uuid5(NS_ENTITIES, collection)", () => {
    expect(collectionNamespace("services")).toBe(uuidV5(NS_ENTITIES, "services"));
    expect(collectionNamespace("services")).not.toBe(collectionNamespace("routes"));
  });

  it("builds cache keys with empty strings for absent fields and skips objects", () => {
    expect(cacheKeyString("plugins", ["cors", null, undefined, null])).toBe("plugins:*:cors:::");
    expect(cacheKeyString("plugins", ["cors", { id: "x" }, "svc", null])).toBe(
      "plugins:*:cors:svc:",
    );
  });

  it("gives named entities their name-derived id in the normalised output", () => {
    const entities = accepted({
      ...V3,
      services: [{ name: "my-service", host: "example.com" }],
      consumers: [{ username: "my-user" }],
    });
    expect(Object.keys(entities["services"] ?? {})).toEqual([
      "0855b320-0dd2-547d-891d-601e9b38647f",
    ]);
    expect(Object.keys(entities["consumers"] ?? {})).toEqual([
      "4b1b701d-de2b-5588-9aa2-3b97061d9f52",
    ]);
  });

  it("keeps an explicit id", () => {
    const id = "a2f1b6b0-8c5e-4d1a-9e55-8f0c3c1f9d10";
    const entities = accepted({ ...V3, services: [{ id, name: "x", host: "example.com" }] });
    expect(entities["services"]?.[id]?.["name"]).toBe("x");
  });

  it("gives unnamed entities an id that is stable across runs", () => {
    const doc = { ...V3, services: [{ host: "example.com" }] };
    const a = Object.keys(accepted(doc)["services"] ?? {});
    const b = Object.keys(accepted(doc)["services"] ?? {});
    expect(a).toHaveLength(1);
    expect(a).toEqual(b);
    expect(a[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("derives the same id for two global plugins with one name: a primary-key clash", () => {
    const id = deterministicId("plugins", "plugins:*:cors:::");
    expect(fieldsOf({ ...V3, plugins: [{ name: "cors" }, { name: "cors" }] })).toEqual({
      plugins: [
        null,
        `uniqueness violation: 'plugins' entity with primary key set to '${id}' already declared`,
      ],
    });
  });

  it("derives the same id for two identical targets of one upstream", () => {
    const upstreamId = deterministicId("upstreams", "u.example");
    const id = deterministicId("targets", `targets:*:${upstreamId}:10.0.0.1:80`);
    const doc = {
      ...V3,
      upstreams: [
        { name: "u.example", targets: [{ target: "10.0.0.1:80" }, { target: "10.0.0.1:80" }] },
      ],
    };
    expect(fieldsOf(doc)).toEqual({
      upstreams: [
        {
          targets: [
            null,
            `uniqueness violation: 'targets' entity with primary key set to '${id}' already declared`,
          ],
        },
      ],
    });
  });

  it("allows the same plugin on two different routes", () => {
    const doc = {
      ...V3,
      services: [
        {
          name: "s",
          host: "example.com",
          routes: [
            { name: "a", paths: ["/a"], plugins: [{ name: "cors" }] },
            { name: "b", paths: ["/b"], plugins: [{ name: "cors" }] },
          ],
        },
      ],
    };
    expect(Object.keys(accepted(doc)["plugins"] ?? {})).toHaveLength(2);
  });
});
