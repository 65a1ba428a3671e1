import { describe, expect, it } from "vitest";
import { ConfigSettingsInvalidError, loadConfig } from "../../../src/config/load.ts";

function load(flag: string) {
  return loadConfig({ argv: ["--publish-status-address=192.0.2.1", flag], env: {} });
}

function problems(flag: string): string[] {
  try {
    load(flag);
  } catch (err) {
    if (err instanceof ConfigSettingsInvalidError) return err.problems.map(p => p.message);
    throw err;
  }
  return [];
}

describe("host patterns of --host-namespaces and --external-name-targets", () => {
  it.each<[string, string]>([
    ["a.example.com", "a.example.com"],
    ["A.Example.COM", "a.example.com"],
    ["*.example.com", "*.example.com"],
    ["*.Example.com", "*.example.com"],
    ["db", "db"],
  ])("accept %j", (given, pattern) => {
    expect(load(`--host-namespaces=team-a=${given}`).hostNamespaces).toEqual([
      { namespace: "team-a", pattern },
    ]);
    expect(load(`--external-name-targets=${given}`).externalNameTargets).toEqual([pattern]);
  });

  it.each([
    "*",
    "*example.com",
    "*.",
    "*.*.example.com",
    "a.*.example.com",
    "https://a.example.com",
    "a.example.com:443",
    "a.example.com/path",
    "-a.example.com",
    "a..example.com",
    "a_b.example.com",
    "10.0.0.1/8",
  ])("refuse %j with a settings error", given => {
    expect(problems(`--host-namespaces=team-a=${given}`)).toEqual([
      expect.stringContaining("*. and one"),
    ]);
    expect(problems(`--external-name-targets=${given}`)).toEqual([
      expect.stringContaining("*. and one"),
    ]);
  });
});
