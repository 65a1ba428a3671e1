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
    [
      "Regex",
      "/x",
      "InvalidPathType",
      'pathType "Regex" is not one of Exact, Prefix, ImplementationSpecific',
    ],
    [
      "ImplementationSpecific",
      "/~/(",
      "InvalidPath",
      `Kong refuses path "~/(": invalid regex: '/(' (PCRE returned: pcre2_compile() failed: missing closing parenthesis in "/(")`,
    ],
    [
      "ImplementationSpecific",
      "/~/(?!x)",
      "InvalidPath",
      'Kong refuses path "~/(?!x)": Router Expression failed validation: regex parse error: ^/(?!x) error: look-around, including look-ahead and look-behind, is not supported',
    ],
    [
      "ImplementationSpecific",
      "/~/(a)\\1",
      "InvalidPath",
      'Kong refuses path "~/(a)\\1": Router Expression failed validation: regex parse error: ^/(a)\\1 error: backreferences are not supported',
    ],
    [
      "ImplementationSpecific",
      "/a/../b",
      "InvalidPath",
      `Kong refuses path "/a/../b": non-normalized path, consider use '/b' instead`,
    ],
    [
      "ImplementationSpecific",
      "/a/%zz",
      "InvalidPath",
      `Kong refuses path "/a/%zz": invalid url-encoded value: '%zz'`,
    ],
    [
      "ImplementationSpecific",
      "/a%2fb",
      "InvalidPath",
      `Kong refuses path "/a%2fb": non-normalized path, consider use '/a%2Fb' instead`,
    ],
  ])("%s %j is rejected as %s: %s", (pathType, path, reason, fragment) => {
    const result = translatePath({ path, pathType, regexPrefix: "/~" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.message).toBe(fragment);
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

describe("translatePath takes every regex Kong takes", () => {
  it.each(["/~/(?i)api/users", "/~/foo\\-bar", "/~/u/(?P<id>\\d+)", "/~/u/(?<id>\\d+)"])(
    "%j",
    path => {
      const result = translatePath({ path, pathType: "ImplementationSpecific", regexPrefix: "/~" });
      const regex = path.slice(2);
      const source = { index: 0, type: "ImplementationSpecific", value: regex, regex: true };
      expect(result).toEqual({ ok: true, paths: [{ kind: "regex", value: regex, source }] });
    },
  );
});
