import { describe, expect, it } from "vitest";
import {
  formatDuration,
  isIpOrHostname,
  parseBindAddress,
  parseDuration,
  parseHeader,
  parseNamespacedName,
  splitList,
} from "../../../src/config/parsers.ts";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["100ms", 100],
    ["1s", 1000],
    ["1.5s", 1500],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["500us", 0.5],
    [" 3s ", 3000],
  ])("%j is %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["", "5", "s", "1x", "1s2", "-1s", "1 s"])("rejects %j", input => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it.each([
    [0, "0s"],
    [100, "100ms"],
    [3000, "3s"],
    [120_000, "2m"],
    [7_200_000, "2h"],
    [1500, "1500ms"],
  ])("formats %d ms as %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("parseNamespacedName", () => {
  it("splits namespace/name", () => {
    expect(parseNamespacedName("kong/kong-proxy")).toEqual({
      namespace: "kong",
      name: "kong-proxy",
    });
  });

  it.each(["kong", "kong/", "/proxy", "a/b/c", "Kong/proxy", "kong/Proxy_1"])(
    "rejects %j",
    input => {
      expect(parseNamespacedName(input)).toBeUndefined();
    },
  );
});

describe("parseBindAddress", () => {
  it.each([
    [":10254", { host: "", port: 10254 }],
    ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
    ["[::1]:9000", { host: "::1", port: 9000 }],
    ["localhost:0", { host: "localhost", port: 0 }],
  ])("%j", (input, expected) => {
    expect(parseBindAddress(input)).toEqual(expected);
  });

  it.each(["10254", ":", ":65536", "host:port", "bad host:80"])("rejects %j", input => {
    expect(parseBindAddress(input)).toBeUndefined();
  });
});

describe("parseHeader", () => {
  it.each([
    ["x-team:core", { name: "x-team", value: "core" }],
    ["Authorization: Bearer a:b", { name: "Authorization", value: "Bearer a:b" }],
    ["x-empty:", { name: "x-empty", value: "" }],
  ])("%j", (input, expected) => {
    expect(parseHeader(input)).toEqual(expected);
  });

  it.each(["novalue", ":value", "bad name:v"])("rejects %j", input => {
    expect(parseHeader(input)).toBeUndefined();
  });
});

describe("isIpOrHostname", () => {
  it.each([
    ["10.0.0.1", true],
    ["2001:db8::1", true],
    ["lb.example.com", true],
    ["Not_A_Host", false],
    ["", false],
  ])("%j is %s", (input, ok) => {
    expect(isIpOrHostname(input)).toBe(ok);
  });
});

describe("splitList", () => {
  it("splits commas across repeated values and drops blanks", () => {
    expect(splitList(["a,b", " c ", "", "d,,"])).toEqual(["a", "b", "c", "d"]);
  });
});
