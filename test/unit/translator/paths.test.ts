import { describe, expect, it } from "vitest";
import { kongPath } from "../../../src/translator/kong-writer/routes.ts";
import { normalizeIngressPath, translatePath } from "../../../src/translator/paths.ts";

/** The Kong paths an Ingress path becomes: its IR matches as the writer spells them. */
function kongPaths(input: Parameters<typeof translatePath>[0]) {
  const result = translatePath(input);
  return result.ok ? { ok: true, paths: result.paths.map(kongPath) } : result;
}

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
    expect(kongPaths({ path, pathType, regexPrefix: "/~" })).toEqual({
      ok: true,
      paths: expected,
    });
  });

  it("keeps what a path means, not how Kong spells it", () => {
    const prefix = translatePath({ path: "/v1.2", pathType: "Prefix", regexPrefix: "/~" });
    const asWritten = { index: 0, type: "Prefix", value: "/v1.2" };
    expect(prefix).toEqual({
      ok: true,
      paths: [
        { kind: "prefix", value: "/v1.2/", source: asWritten },
        { kind: "exact", value: "/v1.2", source: asWritten },
      ],
    });
    const regex = translatePath({
      path: "/~/api/(.*)",
      pathType: "ImplementationSpecific",
      regexPrefix: "/~",
    });
    expect(regex).toEqual({
      ok: true,
      paths: [
        {
          kind: "regex",
          value: "/api/(.*)",
          source: { index: 0, type: "ImplementationSpecific", value: "/api/(.*)", regex: true },
        },
      ],
    });
  });

  it("uses a custom regex prefix and leaves /~ literal", () => {
    expect(
      kongPaths({ path: "/@/x+", pathType: "ImplementationSpecific", regexPrefix: "/@" }),
    ).toEqual({ ok: true, paths: ["~/x+"] });
    expect(
      kongPaths({ path: "/~/x", pathType: "ImplementationSpecific", regexPrefix: "/@" }),
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
