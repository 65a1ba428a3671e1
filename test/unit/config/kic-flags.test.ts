/**
 * KIC's flag surface, flag by flag: each parses as KIC's users write it (a KIC sample value, or bare
 * for a boolean), each implemented one sets its setting, and each one without effect is named in
 * exactly one start-up warning that says why.
 */
import { describe, expect, it } from "vitest";
import {
  IGNORED_KIC_FLAGS,
  warnIgnoredSettings,
  whyIgnored,
} from "../../../src/config/kic-flags.ts";
import { loadConfig } from "../../../src/config/load.ts";
import { envNameOf, SETTINGS, type SettingMeta } from "../../../src/config/schema.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const PUBLISH = "--publish-status-address=10.0.0.1";

/** KIC's flags that are settings here, with a value as a KIC user would pass it. */
const IMPLEMENTED: readonly (readonly [flag: string, value: string, companions?: string[]])[] = [
  ["kong-admin-url", "https://kong-admin.kong:8444"],
  ["kong-admin-svc", "kong/kong-admin"],
  ["enable-drain-support", "true"],
  ["kong-admin-svc-port-names", "admin-tls,kong-admin-tls"],
  ["kong-admin-token", "s3cret"],
  ["kong-admin-token-file", "/etc/token"],
  ["kong-admin-header", "x-team:blue"],
  ["kong-admin-tls-skip-verify", "true"],
  ["kong-admin-ca-cert", PEM],
  ["kong-admin-ca-cert-file", "/etc/ca.crt"],
  ["kong-admin-tls-client-cert", PEM, [`--kong-admin-tls-client-key=${KEY}`]],
  [
    "kong-admin-tls-client-cert-file",
    "/etc/tls.crt",
    ["--kong-admin-tls-client-key-file=/etc/tls.key"],
  ],
  ["kong-admin-tls-client-key", KEY, [`--kong-admin-tls-client-cert=${PEM}`]],
  [
    "kong-admin-tls-client-key-file",
    "/etc/tls.key",
    ["--kong-admin-tls-client-cert-file=/etc/tls.crt"],
  ],
  ["kong-admin-tls-server-name", "kong-admin.kong.svc"],
  ["kong-admin-init-retries", "60"],
  ["kong-admin-init-retry-delay", "1s"],
  ["proxy-timeout-seconds", "30"],
  ["proxy-sync-seconds", "3"],
  ["kubeconfig", "/root/.kube/config"],
  ["apiserver-host", "https://10.0.0.1:6443"],
  ["watch-namespace", "shop,kong"],
  ["ingress-class", "kong"],
  ["gateway-api-controller-name", "konghq.com/kic-gateway-controller"],
  ["cluster-domain", "cluster.local"],
  ["cache-sync-timeout", "2m"],
  ["election-id", "5b374a9e.konghq.com"],
  ["election-namespace", "kong"],
  ["force-leader-election", "enabled"],
  ["update-status", "true"],
  ["publish-service", "kong/kong-proxy"],
  ["publish-status-address", "203.0.113.10"],
  ["emit-kubernetes-events", "true"],
  ["term-delay", "10s"],
  ["health-probe-bind-address", ":10254"],
  ["metrics-bind-address", ":10255"],
  ["diagnostic-server-port", "10256"],
  ["dump-config", "true"],
  ["dump-sensitive-config", "false"],
  ["log-level", "panic"],
  ["log-format", "json"],
];

const FILES: Readonly<Record<string, string>> = {
  "/etc/token": "s3cret\n",
  "/etc/ca.crt": PEM,
  "/etc/tls.crt": PEM,
  "/etc/tls.key": KEY,
};

function load(argv: readonly string[], env: Record<string, string> = {}) {
  return loadConfig({
    argv: [PUBLISH, ...argv],
    env,
    readFile: path => {
      const content = FILES[path];
      if (content === undefined) throw new Error("ENOENT");
      return content;
    },
  });
}

function capture(settings: readonly string[]): { fields: object; message: string }[] {
  const warnings: { fields: object; message: string }[] = [];
  warnIgnoredSettings({ warn: (fields, message) => warnings.push({ fields, message }) }, settings);
  return warnings;
}

describe("KIC flags that are settings here", () => {
  const cases = IMPLEMENTED.map(([flag, value, companions]) => ({
    flag,
    argv: [`--${flag}=${value}`, ...(companions ?? [])],
  }));
  it.each(cases)("--$flag parses and warns about nothing", ({ argv }) => {
    expect(load(argv).ignoredSettings).toEqual([]);
  });

  it("covers every setting that bears a KIC name", () => {
    const kic = (Object.values(SETTINGS) as SettingMeta[]).filter(s => s.ours !== true);
    const flags = kic.flatMap(s =>
      s.fileVariant === true ? [s.flag, `${s.flag}-file`] : [s.flag],
    );
    const named = new Set(IMPLEMENTED.map(([flag]) => flag));
    expect(flags.filter(flag => !named.has(flag))).toEqual([]);
  });

  it("takes KIC's log-level panic as fatal and defaults the log format to KIC's text", () => {
    expect(load(["--log-level=panic"]).logLevel).toBe("fatal");
    expect(load([]).logFormat).toBe("text");
  });
});

const WITHOUT_EFFECT = [
  ...Object.entries(IGNORED_KIC_FLAGS).map(([flag, meta]) => [flag, meta.boolean] as const),
  ["enable-controller-ingress-networkingv1", true] as const,
  ["enable-controller-kongplugin", true] as const,
];

describe("KIC flags accepted without effect", () => {
  it.each(WITHOUT_EFFECT)("--%s parses and is named in one warning", (flag, boolean) => {
    const given = boolean ? `--${flag}` : `--${flag}=some-value`;
    const config = load([given]);
    expect(config.ignoredSettings).toEqual([`--${flag}`]);
    const warnings = capture(config.ignoredSettings);
    expect(warnings).toEqual([
      {
        fields: { setting: `--${flag}`, reason: whyIgnored(`--${flag}`) },
        message: "Setting has no effect in kongress",
      },
    ]);
    expect(whyIgnored(`--${flag}`)).not.toBe("not a setting of kongress or KIC");
  });

  it.each(WITHOUT_EFFECT)("CONTROLLER_ for --%s is named in one warning", flag => {
    const config = load([], { [envNameOf(flag)]: "true" });
    expect(config.ignoredSettings).toEqual([envNameOf(flag)]);
    expect(capture(config.ignoredSettings)).toHaveLength(1);
    expect(whyIgnored(envNameOf(flag))).toBe(whyIgnored(`--${flag}`));
  });

  it("a bare boolean does not swallow the next flag", () => {
    const config = load(["--anonymous-reports", "--log-level=debug"]);
    expect(config.logLevel).toBe("debug");
    expect(config.ignoredSettings).toEqual(["--anonymous-reports"]);
  });

  it("names several, one warning each, and an unknown CONTROLLER_ variable as no setting", () => {
    const config = load(["--kong-workspace=ws", "--profiling"], { CONTROLLER_NO_SUCH: "1" });
    const warnings = capture(config.ignoredSettings);
    expect(warnings.map(w => w.fields)).toEqual([
      { setting: "--kong-workspace", reason: IGNORED_KIC_FLAGS["kong-workspace"]?.why },
      { setting: "--profiling", reason: IGNORED_KIC_FLAGS["profiling"]?.why },
      { setting: "CONTROLLER_NO_SUCH", reason: "not a setting of kongress or KIC" },
    ]);
  });

  it("shares no name with a setting", () => {
    const settings = new Set((Object.values(SETTINGS) as SettingMeta[]).map(s => s.flag));
    expect(Object.keys(IGNORED_KIC_FLAGS).filter(flag => settings.has(flag))).toEqual([]);
  });
});
