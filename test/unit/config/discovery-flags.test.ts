import { describe, expect, it } from "vitest";
import { ConfigSettingsInvalidError, loadConfig } from "../../../src/config/load.ts";

const PUBLISH = "--publish-status-address=10.0.0.1";

function load(argv: readonly string[], env: Record<string, string> = {}) {
  return loadConfig({ argv: [PUBLISH, ...argv], env });
}

function problemsOf(argv: readonly string[], env: Record<string, string> = {}) {
  try {
    load(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigSettingsInvalidError);
    return [...(err as ConfigSettingsInvalidError).problems];
  }
  throw new Error("expected loadConfig to throw");
}

describe("gateway discovery settings (KIC's flags)", () => {
  it("are off by default, with KIC's port names", () => {
    const config = load([]);
    expect(config.kongAdminSvc).toBeUndefined();
    expect(config.kongAdminSvcPortNames).toEqual(["admin-tls", "kong-admin-tls"]);
  });

  it.each([
    [
      "flags",
      ["--kong-admin-svc=kong/kong-admin", "--kong-admin-svc-port-names=admin,admin-tls"],
      {},
    ],
    [
      "env",
      [],
      {
        CONTROLLER_KONG_ADMIN_SVC: "kong/kong-admin",
        CONTROLLER_KONG_ADMIN_SVC_PORT_NAMES: "admin,admin-tls",
      },
    ],
  ])("are read from %s", (_source, argv, env) => {
    const config = load(argv, env);
    expect(config.kongAdminSvc).toEqual({ namespace: "kong", name: "kong-admin" });
    expect(config.kongAdminSvcPortNames).toEqual(["admin", "admin-tls"]);
  });

  it.each([
    ["no namespace", ["--kong-admin-svc=kong-admin"], "--kong-admin-svc", /namespace\/name/],
    ["a bad name", ["--kong-admin-svc=kong/Kong_Admin"], "--kong-admin-svc", /namespace\/name/],
    [
      "no port names",
      ["--kong-admin-svc=kong/kong-admin", "--kong-admin-svc-port-names=,"],
      "--kong-admin-svc-port-names",
      /at least one port name/,
    ],
  ])("refuse %s", (_what, argv, setting, message) => {
    const problems = problemsOf(argv);
    expect(problems.map(p => p.setting)).toEqual([setting]);
    expect(problems[0]?.message).toMatch(message);
  });

  it("refuse --kong-admin-url beside --kong-admin-svc: which Kongs get the config would be unclear", () => {
    const fromFlags = problemsOf([
      "--kong-admin-svc=kong/kong-admin",
      "--kong-admin-url=https://kong-0:8444",
    ]);
    expect(fromFlags.map(p => p.setting)).toEqual(["--kong-admin-url"]);
    expect(fromFlags[0]?.message).toMatch(/cannot be combined with --kong-admin-svc/);
    const fromEnv = problemsOf([], {
      CONTROLLER_KONG_ADMIN_SVC: "kong/kong-admin",
      CONTROLLER_KONG_ADMIN_URL: "https://a:8444,https://b:8444",
    });
    expect(fromEnv.map(p => p.setting)).toEqual(["CONTROLLER_KONG_ADMIN_URL"]);
  });

  it("accept the default --kong-admin-url spelled out beside --kong-admin-svc (it names no choice)", () => {
    const config = load([
      "--kong-admin-svc=kong/kong-admin",
      "--kong-admin-url=http://localhost:8001",
    ]);
    expect(config.kongAdminSvc).toEqual({ namespace: "kong", name: "kong-admin" });
  });
});
