/**
 * Kong's regex dialect for route paths, as a table: each pattern with Kong's answer under its default
 * router (`traditional_compatible`): accepted, refused by the route schema's PCRE check (field error
 * on `paths`), or refused by the Rust router (entity error). Checked through the whole validator, the
 * way `POST /config` judges a route, and through the per-field entry point the translator calls.
 */
import { describe, expect, it } from "vitest";
import { routePathProblem } from "../../../../src/kong/validate/fields.ts";
import { pcreError, rustRegexError } from "../../../../src/kong/validate/regex.ts";
import { accepted, firstEntityErrors, V3 } from "./helpers.ts";

const route = (path: string): Record<string, unknown> => ({ name: "r", paths: [`~${path}`] });

const ACCEPTED = [
  "/(?i)api/users",
  "/api/(?i)users",
  "/api/(?i:users)",
  "/foo\\-bar",
  "/a\\.b\\/c\\_d",
  "/u/(?P<id>\\d+)",
  "/u/(?<id>\\d+)",
  "/v(?<major>\\d+)\\.(?<minor>\\d+)",
  "/api/(.*)",
  "/a$",
  "/\\Astart\\z",
  "/\\p{L}+/\\pN",
  "/[[:alpha:]]+",
  "/[]a]",
  "/x{2,}",
  "/a{1001}",
  "/(?m)a$",
  "/(?s).",
  "/(?U)a*",
  "/(|a)",
  "/\\x41\\x{263a}",
];

describe("Kong accepts these regex paths", () => {
  it.each(ACCEPTED)("%s", regex => {
    expect(routePathProblem(`~${regex}`)).toBeUndefined();
    const entities = accepted({ ...V3, routes: [route(regex)] });
    expect(Object.keys(entities["routes"] ?? {})).toHaveLength(1);
  });
});

/** PCRE2 refuses these: the route schema's field error on `paths`. */
const PCRE_REFUSED: readonly (readonly [string, string])[] = [
  ["/a(", "missing closing parenthesis"],
  ["/a)", "unmatched closing parenthesis"],
  ["/[a", "missing terminating ] for character class"],
  ["/a{2,1}", "numbers out of order in {} quantifier"],
  ["/a{70000}", "number too big in {} quantifier"],
  ["/a\\", "\\ at end of pattern"],
  ["/[z-a]", "range out of order in character class"],
  ["/\\y", "unrecognized character follows \\"],
  ["/a**", "quantifier does not follow a repeatable item"],
  ["/(?P<n>a)(?P<n>b)", "two named subpatterns have the same name (PCRE2_DUPNAMES not set)"],
  ["/(?u)a", "unrecognized character after (? or (?-"],
];

describe("Kong refuses these regex paths in the route schema (PCRE)", () => {
  it.each(PCRE_REFUSED)("%s: %s", (regex, pcre) => {
    const message = `invalid regex: '${regex}' (PCRE returned: pcre2_compile() failed: ${pcre} in "${regex}")`;
    expect(pcreError(regex)).toBe(`pcre2_compile() failed: ${pcre} in "${regex}"`);
    expect(routePathProblem(`~${regex}`)).toBe(message);
    expect(firstEntityErrors("routes", route(regex))).toEqual({ paths: [message] });
  });
});

/**
 * PCRE takes these, the Rust router does not: the entity error `Router Expression failed validation`
 * with regex-syntax's message; the caret line marks the refused text in `^<regex>`.
 */
const RUST_REFUSED: readonly (readonly [string, string, string])[] = [
  ["/a(?=b)", "   ^^^", "look-around, including look-ahead and look-behind, is not supported"],
  ["/a(?!b)", "   ^^^", "look-around, including look-ahead and look-behind, is not supported"],
  ["/(?<=a)b", "  ^^^^", "look-around, including look-ahead and look-behind, is not supported"],
  ["/(?<!a)b", "  ^^^^", "look-around, including look-ahead and look-behind, is not supported"],
  ["/(a)\\1", "     ^^", "backreferences are not supported"],
  ["/(?P<x>a)\\k<x>", "          ^^", "backreferences are not supported"],
  ["/(?P<x>a)(?P=x)", "            ^", "unrecognized flag"],
  ["/(?>a)", "    ^", "unrecognized flag"],
  ["/(?#note)a", "    ^", "unrecognized flag"],
  ["/a\\Z", "   ^^", "unrecognized escape sequence"],
  ["/\\Q.*\\E", "  ^^", "unrecognized escape sequence"],
  ["/a\\h", "   ^^", "unrecognized escape sequence"],
];

describe("Kong refuses these regex paths in its router (Rust regex crate)", () => {
  it.each(RUST_REFUSED)("%s: %s", (regex, carets, rust) => {
    const display = `regex parse error:\n    ^${regex}\n    ${carets}\nerror: ${rust}`;
    expect(pcreError(regex)).toBeUndefined();
    expect(rustRegexError(regex)).toBe(display);
    expect(routePathProblem(`~${regex}`)).toBe(`Router Expression failed validation: ${display}`);
    expect(firstEntityErrors("routes", route(regex))).toEqual({
      "@entity": [`Router Expression failed validation: ${display}`],
    });
  });

  it.each(RUST_REFUSED)("the traditional router takes %s (PCRE only)", regex => {
    expect(routePathProblem(`~${regex}`, "traditional")).toBeUndefined();
    const entities = accepted({ ...V3, routes: [route(regex)] }, { routerFlavor: "traditional" });
    expect(Object.keys(entities["routes"] ?? {})).toHaveLength(1);
  });
});

describe("Rust's own syntax errors", () => {
  it.each([
    ["/a(", "unclosed group"],
    ["/a)", "unopened group"],
    ["/[a", "unclosed character class"],
    ["/a{2,1}", "invalid repetition count range, the start must be <= the end"],
    ["/[z-a]", "invalid character class range, the start must be <= the end"],
    ["/\\y", "unrecognized escape sequence"],
  ])("%s: %s", (regex, message) => {
    expect(rustRegexError(regex)?.split("\n").at(-1)).toBe(`error: ${message}`);
  });

  it.each(["/a**", "/a{2}{3}", "/a*+", "/(?x)a b", "/(?u)a"])(
    "takes %s, which RE2's parser alone would not",
    regex => {
      expect(rustRegexError(regex)).toBeUndefined();
    },
  );
});

describe("header regexes go through the Rust router too", () => {
  it("refuses look-around in a `~*` header value under traditional_compatible", () => {
    const errors = firstEntityErrors("routes", {
      name: "r",
      paths: ["/"],
      headers: { "x-version": ["~*v(?=1)"] },
    }) as { "@entity": string[] };
    expect(errors["@entity"][0]).toMatch(
      /^Router Expression failed validation: regex parse error:\n {4}\^v\(\?=1\)\n/,
    );
  });
});
