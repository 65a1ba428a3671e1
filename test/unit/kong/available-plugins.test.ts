import { describe, expect, it } from "vitest";
import {
  mergeAvailablePlugins,
  pluginsFromRoot,
  samePlugins,
} from "../../../src/kong/available-plugins.ts";
import { rootInfoSchema } from "../../../src/kong/responses.ts";

/** A `GET /` body as Kong sends it, parsed as the Admin client parses it. */
function root(plugins: unknown) {
  return rootInfoSchema.parse({
    version: "3.9.1",
    configuration: { database: "off" },
    ...(plugins === undefined ? {} : { plugins }),
  });
}

describe("pluginsFromRoot: Kong's plugins.available_on_server", () => {
  it.each([
    [
      "the loaded plugins, sorted",
      {
        available_on_server: {
          "key-auth": { version: "3.9.1", priority: 1250 },
          cors: { version: "3.9.1", priority: 2000 },
        },
        enabled_in_cluster: ["key-auth"],
      },
      ["cors", "key-auth"],
    ],
    ["an empty Lua table sent as []", { available_on_server: [], enabled_in_cluster: [] }, []],
    ["an empty object", { available_on_server: {}, enabled_in_cluster: {} }, []],
    ["no list: unknown, not none", { enabled_in_cluster: [] }, undefined],
    ["no plugins section: unknown", undefined, undefined],
  ])("%s", (_, plugins, expected) => {
    expect(pluginsFromRoot(root(plugins))).toEqual(expected);
  });

  it("refuses a list that is neither an object nor empty", () => {
    expect(
      rootInfoSchema.safeParse({
        version: "3.9.1",
        configuration: { database: "off" },
        plugins: { available_on_server: ["cors"] },
      }).success,
    ).toBe(false);
  });
});

describe("mergeAvailablePlugins: what every Kong that said has", () => {
  it.each([
    ["none said", [{}, { plugins: undefined }], undefined],
    ["one said", [{ plugins: ["a", "b"] }, {}], ["a", "b"]],
    [
      "the plugins all have",
      [{ plugins: ["a", "b", "c"] }, { plugins: ["b", "c", "d"] }],
      ["b", "c"],
    ],
    ["one has none", [{ plugins: ["a"] }, { plugins: [] }], []],
  ])("%s", (_, reports, expected) => {
    expect(mergeAvailablePlugins(reports)).toEqual(expected);
  });
});

describe("samePlugins", () => {
  it.each([
    [undefined, undefined, true],
    [undefined, [], false],
    [["a"], ["a"], true],
    [["a"], ["a", "b"], false],
    [["a", "b"], ["a", "c"], false],
  ])("%j and %j: %s", (a, b, same) => {
    expect(samePlugins(a, b)).toBe(same);
  });
});
