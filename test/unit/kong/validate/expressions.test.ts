import { describe, expect, it } from "vitest";
import { expressionError } from "../../../../src/kong/validate/expressions.ts";
import { accepted, firstEntityErrors, V3 } from "./helpers.ts";

const HTTP = ["http", "https"];
const TCP = ["tcp"];

describe("expression routes: what Kong's expressions router accepts", () => {
  it.each<[string, readonly string[]]>([
    ['http.path ^= "/"', HTTP],
    ['(http.host == "konghq.com") && (http.path ^= "/api/") && (http.headers.foo == "bar")', HTTP],
    ['((http.path == "/foo") || (http.path ^= "/foo/")) && (http.method == "GET")', HTTP],
    ['http.host =^ ".example.com"', HTTP],
    ['http.path ~ "^/u/(?P<id>\\\\d+)"', HTTP],
    ['http.path ~ "(?i)^/api"', HTTP],
    ['http.path ~ "^/foo\\\\-bar"', HTTP],
    ['http.queries.v == "1" && lower(http.headers.x_a) == "b"', HTTP],
    ['http.path.segments.0 == "api" && http.path.segments.len > 1', HTTP],
    ['!(http.method == "POST")', HTTP],
    ["net.src.ip in 10.0.0.0/8 && net.dst.port == 80", HTTP],
    ['(net.protocol == "http") || (net.protocol == "https")', HTTP],
    ['http.path ^= r#"/raw"quote"#', HTTP],
    ['(tls.sni == "a.example.com") && (net.dst.port == 9000)', TCP],
    ["net.dst.port == 5353", ["udp"]],
  ])("%s", (expression, protocols) => {
    expect(expressionError(expression, protocols)).toBeUndefined();
  });
});

describe("expression routes: what it refuses, in the router's words", () => {
  it.each<[string, readonly string[], string]>([
    ['http.foo == "x"', HTTP, "Unknown LHS field"],
    ['http.path ^= "/"', TCP, "Unknown LHS field"],
    ["http.path == 80", HTTP, "Type mismatch between the LHS and RHS values of predicate"],
    ['net.dst.port == "80"', HTTP, "Type mismatch between the LHS and RHS values of predicate"],
    ['net.dst.port ~ "8."', HTTP, "Regex operators only supports string operands"],
    [
      "lower(net.dst.port) == 80",
      HTTP,
      "lower-case transformation function only supported with String type fields",
    ],
    [
      'http.path > "a"',
      HTTP,
      "Greater/GreaterOrEqual/Lesser/LesserOrEqual operators only supports integer operands",
    ],
    ["net.src.ip in 10.0.0.1", HTTP, "In/NotIn operators only supports IP in CIDR"],
  ])("%s", (expression, protocols, message) => {
    expect(expressionError(expression, protocols)).toBe(message);
  });

  it.each([
    ['http.path = "/foo"', "expected binary_operator"],
    ['http.path == "/foo" &&', "expected term"],
    ['(http.path == "/foo"', "expected logical_operator"],
    ['http.path == "/foo" http.host == "a"', "expected logical_operator"],
    ['http.path == "/fo\\q"', "expected str_esc"],
    ['http.path == "/foo', "expected str_char"],
  ])("a syntax error: %s", (expression, expected) => {
    const error = expressionError(expression);
    expect(error).toMatch(/^ --> 1:\d+\n/);
    expect(error).toContain(`= ${expected}`);
  });

  it.each([
    [
      'http.path ~ "^/a(?=b)"',
      "look-around, including look-ahead and look-behind, is not supported",
    ],
    ['http.path ~ "^(a)\\\\1"', "backreferences are not supported"],
    ['http.path ~ "^/["', "regex parse error:"],
  ])("a regex the Rust regex crate refuses: %s", (expression, message) => {
    expect(expressionError(expression)).toContain(message);
  });
});

describe("routes schema under router_flavor = expressions", () => {
  const errors = (fields: Record<string, unknown>) =>
    firstEntityErrors("routes", { name: "r", ...fields }, { routerFlavor: "expressions" });

  it("takes a valid expression route, HTTP or stream", () => {
    const routes = [
      { name: "a", expression: 'http.path ^= "/"', priority: 3 },
      { name: "b", expression: "net.dst.port == 9000", protocols: ["tcp"] },
    ];
    const normalized = accepted({ ...V3, routes }, { routerFlavor: "expressions" });
    expect(Object.values(normalized["routes"] ?? {})).toMatchObject([
      { name: "a", priority: 3 },
      { name: "b", priority: 0 },
    ]);
  });

  it("refuses an invalid expression as Kong does, on the entity", () => {
    expect(errors({ expression: 'http.nope == "x"' })).toEqual({
      "@entity": ["Router Expression failed validation: Unknown LHS field"],
    });
  });

  it("keeps priorities below 2^46", () => {
    expect(errors({ expression: 'http.path ^= "/"', priority: 2 ** 46 })).toEqual({
      priority: `value should be between 0 and ${2 ** 46 - 1}`,
    });
  });

  it("refuses expression routes on the other flavours", () => {
    expect(
      firstEntityErrors("routes", { name: "r", expression: 'http.path ^= "/"' }, undefined),
    ).toMatchObject({ expression: "unknown field" });
  });
});
