import { describe, expect, it } from "vitest";
import { renderHelp } from "../../../src/config/help.ts";
import { IGNORED_KIC_FLAGS } from "../../../src/config/kic-flags.ts";
import { envNameOf, SETTINGS } from "../../../src/config/schema.ts";
import { DEFAULT_PACING } from "../../../src/sender/pacing.ts";

const help = renderHelp();

describe("renderHelp", () => {
  it.each(Object.values(SETTINGS).map(s => [s.flag, s] as const))(
    "documents --%s with its env name",
    (flag, setting) => {
      expect(help).toContain(`  --${flag} <${setting.placeholder}>`);
      expect(help).toContain(envNameOf(flag));
    },
  );

  it.each(
    Object.values(SETTINGS)
      .filter(s => s.fileVariant === true)
      .map(s => s.flag),
  )("documents --%s-file", flag => {
    expect(help).toContain(`  --${flag}-file <path>`);
  });

  it.each([
    ["kong-admin-url", "default http://localhost:8001"],
    ["proxy-timeout-seconds", "default 30"],
    ["health-probe-bind-address", "default :10254"],
    ["log-format", "default text"],
    ["sync-holdoff", "kongress only"],
  ])("shows facts for --%s: %s", (flag, fact) => {
    const block = help.slice(help.indexOf(`  --${flag} `)).split("\n  --")[0] ?? "";
    expect(block.replace(/\s+/g, " ")).toContain(fact);
  });

  it("describes --proxy-sync-seconds' adaptive default with the sender's figures", () => {
    const block = help.slice(help.indexOf("  --proxy-sync-seconds ")).split("\n  --")[0] ?? "";
    const text = block.replace(/\s+/g, " ");
    expect(text).toContain(`${String(DEFAULT_PACING.factor)} × that load's duration`);
    expect(text).toContain(
      `${String(DEFAULT_PACING.floorMs / 1000)} s to ${String(DEFAULT_PACING.capMs / 1000)} s`,
    );
    expect(text).not.toContain("default");
  });

  it("lists the KIC flags accepted without effect", () => {
    for (const flag of Object.keys(IGNORED_KIC_FLAGS)) expect(help).toContain(`--${flag}`);
  });

  it("keeps lines within 100 columns", () => {
    const long = help.split("\n").filter(line => line.length > 100);
    expect(long).toEqual([]);
  });
});

describe("envNameOf", () => {
  it.each([
    ["kong-admin-url", "CONTROLLER_KONG_ADMIN_URL"],
    ["kubeconfig", "CONTROLLER_KUBECONFIG"],
    ["kong-admin-token-file", "CONTROLLER_KONG_ADMIN_TOKEN_FILE"],
  ])("%s → %s", (flag, env) => {
    expect(envNameOf(flag)).toBe(env);
  });
});
