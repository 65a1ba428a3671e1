import { describe, expect, it } from "vitest";
import { normalizeIngressPath, translatePath } from "../../../src/translator/paths.ts";

describe("translatePath (KIC's pathType table, with literal paths regex-escaped)", () => {
  it.each([
    ["Prefix", "/", ["/"]],
    ["Prefix", "///", ["/"]],
    ["Prefix", "/foo", ["/foo/", "~/foo$"]],
    ["Prefix", "/foo/", ["/foo/", "~/foo$"]],
    ["Prefix", "/foo/bar", ["/foo/bar/", "~/foo/bar$"]],
    ["Prefix", "/v1.2", ["/v1.2/", "~/v1\\.2$"]],
    ["Exact", "/foo", ["~/foo$"]],
    ["Exact", "/", ["~/$"]],
    ["Exact", "/a(b)", ["~/a\\(b\\)$"]],
    ["ImplementationSpecific", "/foo", ["/foo"]],
    ["ImplementationSpecific", "", ["/"]],
    ["ImplementationSpecific", "/~/api/(.*)", ["~/api/(.*)"]],
    [undefined, "/no-type", ["/no-type"]],
    ["Prefix", "//a///b", ["/a/b/", "~/a/b$"]],
  ])("%s %j -> %j", (pathType, path, expected) => {
    expect(translatePath({ path, pathType, regexPrefix: "/~" })).toEqual({
      ok: true,
      paths: expected,
    });
  });

  it("uses a custom regex prefix and leaves /~ literal", () => {
    expect(
      translatePath({ path: "/@/x+", pathType: "ImplementationSpecific", regexPrefix: "/@" }),
    ).toEqual({ ok: true, paths: ["~/x+"] });
    expect(
      translatePath({ path: "/~/x", pathType: "ImplementationSpecific", regexPrefix: "/@" }),
    ).toEqual({ ok: true, paths: ["/~/x"] });
  });

  it.each([
    ["Regex", "/x", "InvalidPathType", 'pathType "Regex"'],
    ["ImplementationSpecific", "/~/(", "InvalidPath", "invalid regex"],
    ["ImplementationSpecific", "/~/(?!x)", "InvalidPath", "look-around"],
    ["ImplementationSpecific", "/~/(a)\\1", "InvalidPath", "back-reference"],
    ["ImplementationSpecific", "/a/../b", "InvalidPath", "non-normalized"],
    ["ImplementationSpecific", "/a/%zz", "InvalidPath", "percent-encoding"],
  ])("%s %j is rejected as %s", (pathType, path, reason, fragment) => {
    const result = translatePath({ path, pathType, regexPrefix: "/~" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.message).toContain(fragment);
    }
  });

  it.each([
    [undefined, "/"],
    ["", "/"],
    ["//a//b", "/a/b"],
    ["/keep/", "/keep/"],
  ])("normalizeIngressPath(%j) = %j", (input, expected) => {
    expect(normalizeIngressPath(input)).toBe(expected);
  });
});
