import { describe, expect, it } from "vitest";
import { checkYamlLimits } from "../../../src/cli/yaml-limits.ts";

const limits = { maxNesting: 3, maxValues: 10 };

describe("checkYamlLimits", () => {
  it.each([
    ["block mappings", "a:\n  b:\n    c:\n      d: e\n"],
    ["flow collections up to the limit", "a: [[{b: c}]]\n"],
    ["closed flow collections, then more", "a: [[[x]]]\nb: [[[y]]]\n"],
    ["brackets inside quoted and block scalars", `a: "[[[[["\nb: '{{{{'\nc: |\n  [[[[[[\n`],
    ["brackets in comments", "# [[[[[[\na: b # {{{{{\n"],
    ["three indicators on a line", "- - a: b\n"],
    ["ten values", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"],
    ["a minified JSON object on one line", '{"a":1,"b":2,"c":3,"d":4,"e":5}'],
  ])("accepts %s", (_label, text) => {
    expect(checkYamlLimits(text, limits)).toBeUndefined();
  });

  it.each([
    ["nested flow sequences", "a: 1\nb: [[[[x]]]]\n", 2, "nested more than 3 levels deep"],
    ["nested flow mappings", "{a: {b: {c: {d: e}}}}", 1, "nested more than 3 levels deep"],
    ["flow nesting spread over lines", "[\n[\n[\n[\n", 4, "nested more than 3 levels deep"],
    ["compact block sequences", "x: y\n\n- - - - a\n", 3, "nested more than 3 levels deep"],
    ["compact explicit keys", "? ? ? ? a\n", 1, "nested more than 3 levels deep"],
    [
      "too many values",
      "a: [1, 2, 3]\nb: [4, 5, 6, 7, 8, 9, 10, 11]\n",
      2,
      "more than 10 values; split it into smaller files",
    ],
    [
      "too many quoted values",
      `${'"x"\n'.repeat(5)}---\n${"'y'\n".repeat(6)}`,
      12,
      "more than 10 values; split it into smaller files",
    ],
  ])("rejects %s", (_label, text, line, message) => {
    expect(checkYamlLimits(text, limits)).toEqual({ line, message });
  });

  it("uses defaults that real manifests stay far below", () => {
    const manifest =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n";
    expect(checkYamlLimits(manifest.repeat(1000))).toBeUndefined();
  });
});
