import { describe, expect, it } from "vitest";
import {
  parseKongVersion,
  rootInfoSchema,
  unsupportedReason,
  type RootInfo,
} from "../../../src/kong/responses.ts";

const listener = (port: unknown, ssl: boolean) => ({
  ip: "0.0.0.0",
  port,
  listener: `0.0.0.0:${String(port)}`,
  ssl,
  http2: ssl,
  proxy_protocol: false,
  "backlog=16384": true,
});

function root(configuration: Record<string, unknown>, version = "3.9.1"): unknown {
  return { version, node_id: "n1", tagline: "Welcome to kong", configuration };
}

describe("rootInfoSchema", () => {
  it("reads listeners, and Kong's {} for a disabled list", () => {
    const parsed = rootInfoSchema.parse(
      root({
        database: "off",
        router_flavor: "traditional_compatible",
        proxy_listeners: [listener(8000, false), listener(8443, true)],
        stream_listeners: {},
      }),
    );
    expect(parsed.configuration.proxy_listeners?.map(l => [l.port, l.ssl, l.http2])).toEqual([
      [8000, false, false],
      [8443, true, true],
    ]);
    expect(parsed.configuration.stream_listeners).toEqual([]);
  });

  it("keeps a missing listener list apart from an empty one", () => {
    const parsed = rootInfoSchema.parse(root({ database: "off", proxy_listeners: [] }));
    expect(parsed.configuration.proxy_listeners).toEqual([]);
    expect(parsed.configuration.stream_listeners).toBeUndefined();
  });

  it.each([
    ["missing listeners", { database: "off" }, true],
    [
      "port as a numeric string",
      { database: "off", proxy_listeners: [listener("8000", false)] },
      true,
    ],
    [
      "port as a hostname string",
      { database: "off", proxy_listeners: [listener("x", false)] },
      false,
    ],
    ["non-empty object for a list", { database: "off", proxy_listeners: { a: 1 } }, false],
    ["database missing", { router_flavor: "traditional" }, false],
  ])("%s → valid %s", (_name, configuration, valid) => {
    expect(rootInfoSchema.safeParse(root(configuration)).success).toBe(valid);
  });

  it("rejects a numeric version", () => {
    expect(
      rootInfoSchema.safeParse(root({ database: "off" }, 3.9 as unknown as string)).success,
    ).toBe(false);
  });
});

describe("unsupportedReason", () => {
  const info = (database: string, version: string): RootInfo =>
    rootInfoSchema.parse(root({ database }, version));

  it.each([
    ["off", "3.9.1", undefined],
    ["", "3.4.1", undefined],
    ["off", "3.4.3.5-enterprise-edition", undefined],
    ["off", "4.0", undefined],
    ["off", "3.4.0", "version 3.4.0 is older than 3.4.1"],
    ["off", "2.8.1", "version 2.8.1 is older than 3.4.1"],
    ["off", "next", 'unparsable version "next"'],
    [
      "postgres",
      "3.9.1",
      'runs with database "postgres"; only DB-less Kong takes a declarative config',
    ],
  ])("database %j, version %s", (database, version, reason) => {
    expect(unsupportedReason(info(database, version))).toBe(reason);
  });

  it.each([
    ["3.9.1", [3, 9, 1]],
    ["3.10", [3, 10, 0]],
    ["v3", undefined],
  ])("parses %s", (text, expected) => {
    expect(parseKongVersion(text)).toEqual(expected);
  });
});
