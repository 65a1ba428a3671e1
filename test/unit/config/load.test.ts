import { describe, expect, it } from "vitest";
import { ConfigSettingsInvalidError, loadConfig } from "../../../src/config/load.ts";
import type { LoadConfigOptions } from "../../../src/config/load.ts";
import type { Config } from "../../../src/config/schema.ts";

/** Status updates are on by default and need an address source; most cases are not about that. */
const PUBLISH = "--publish-status-address=10.0.0.1";

const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

function load(
  argv: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Config {
  const opts: LoadConfigOptions = {
    argv,
    env,
    readFile: path => {
      const content = files[path];
      if (content === undefined) throw new Error("ENOENT: no such file");
      return content;
    },
  };
  return loadConfig(opts);
}

function problemsOf(fn: () => unknown): { setting: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigSettingsInvalidError);
    const e = err as ConfigSettingsInvalidError;
    expect(e.code).toBe("ERR_CONFIG_INVALID");
    return [...e.problems];
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig defaults", () => {
  const config = load([PUBLISH]);

  it.each<[keyof Config, unknown]>([
    ["kongAdminUrl", ["http://localhost:8001"]],
    ["kongAdminHeader", []],
    ["kongAdminTlsSkipVerify", false],
    ["kongAdminInitRetries", 60],
    ["kongAdminInitRetryDelayMs", 1000],
    ["proxyTimeoutSeconds", 30],
    ["ingressClass", "kong"],
    ["watchNamespace", []],
    ["updateStatus", true],
    ["emitKubernetesEvents", true],
    ["healthProbeBindAddress", { host: "", port: 10254 }],
    ["metricsBindAddress", { host: "", port: 10255 }],
    ["diagnosticServerPort", 10256],
    ["logLevel", "info"],
    ["logFormat", "text"],
    ["clusterDomain", ""],
    ["electionId", "5b374a9e.konghq.com"],
    ["dumpConfig", false],
    ["dumpSensitiveConfig", false],
    ["syncHoldoffMs", 100],
    ["syncMaxDelayMs", 500],
    ["idleMemoryReleaseMs", 30_000],
    ["cacheSyncTimeoutMs", 0],
    ["statusMaxBackoffMs", 30_000],
    ["termDelayMs", 0],
    ["timeScale", 1],
    ["ignoredSettings", []],
  ])("%s defaults to %j", (key, expected) => {
    expect(config[key]).toEqual(expected);
  });

  it.each<keyof Config>([
    "kongAdminToken",
    "publishService",
    "kubeconfig",
    "electionNamespace",
    // Unset means adaptive pacing (sender/pacing.ts), not KIC's fixed 3 s.
    "proxySyncSeconds",
  ])("%s is unset by default", key => {
    expect(config[key]).toBeUndefined();
  });

  it("is deep-frozen", () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kongAdminUrl)).toBe(true);
    expect(Object.isFrozen(config.healthProbeBindAddress)).toBe(true);
  });
});

describe("loadConfig sources and precedence", () => {
  it.each<[string, string[], Record<string, string>, keyof Config, unknown]>([
    ["flag", ["--ingress-class", "internal"], {}, "ingressClass", "internal"],
    ["flag with =", ["--ingress-class=internal"], {}, "ingressClass", "internal"],
    ["env", [], { CONTROLLER_INGRESS_CLASS: "internal" }, "ingressClass", "internal"],
    [
      "flag over env",
      ["--ingress-class=a"],
      { CONTROLLER_INGRESS_CLASS: "b" },
      "ingressClass",
      "a",
    ],
    ["last scalar flag wins", ["--log-level=warn", "--log-level=debug"], {}, "logLevel", "debug"],
    ["bare boolean", ["--dump-config"], {}, "dumpConfig", true],
    ["boolean =false", ["--emit-kubernetes-events=false"], {}, "emitKubernetesEvents", false],
    ["boolean pflag forms", ["--dump-config=T"], {}, "dumpConfig", true],
    ["boolean env", [], { CONTROLLER_DUMP_CONFIG: "1" }, "dumpConfig", true],
    [
      "repeated list flag",
      ["--kong-admin-url", "http://a:8001", "--kong-admin-url", "https://b:8444"],
      {},
      "kongAdminUrl",
      ["http://a:8001", "https://b:8444"],
    ],
    [
      "comma list flag",
      ["--kong-admin-url=http://a:8001,https://b:8444"],
      {},
      "kongAdminUrl",
      ["http://a:8001", "https://b:8444"],
    ],
    [
      "comma list env",
      [],
      { CONTROLLER_WATCH_NAMESPACE: "team-a, team-b" },
      "watchNamespace",
      ["team-a", "team-b"],
    ],
    [
      "header list",
      ["--kong-admin-header=x-a:1", "--kong-admin-header", "x-b:2"],
      {},
      "kongAdminHeader",
      [
        { name: "x-a", value: "1" },
        { name: "x-b", value: "2" },
      ],
    ],
    ["duration", ["--sync-holdoff=250ms", "--sync-max-delay=2s"], {}, "syncMaxDelayMs", 2000],
    ["duration, 0 to turn off", ["--idle-memory-release=0s"], {}, "idleMemoryReleaseMs", 0],
    ["float seconds", ["--proxy-timeout-seconds=2.5"], {}, "proxyTimeoutSeconds", 2.5],
    ["pacing cap", ["--proxy-sync-seconds=0.5"], {}, "proxySyncSeconds", 0.5],
    ["no pacing", [], { CONTROLLER_PROXY_SYNC_SECONDS: "0" }, "proxySyncSeconds", 0],
    [
      "publish service",
      ["--publish-service", "kong/kong-proxy"],
      {},
      "publishService",
      { namespace: "kong", name: "kong-proxy" },
    ],
    [
      "bind address",
      ["--health-probe-bind-address=127.0.0.1:9000"],
      {},
      "healthProbeBindAddress",
      { host: "127.0.0.1", port: 9000 },
    ],
    ["text logs", ["--log-format=text"], {}, "logFormat", "text"],
  ])("%s", (_name, argv, env, key, expected) => {
    expect(load([PUBLISH, ...argv], env)[key]).toEqual(expected);
  });

  it("reads *-file variants at load, from a flag or an env var", () => {
    const files = { "/t": "s3cret\n", "/ca": PEM_CERT, "/crt": PEM_CERT, "/key": PEM_KEY };
    const config = load(
      [
        PUBLISH,
        "--kong-admin-token-file=/t",
        "--kong-admin-ca-cert-file",
        "/ca",
        "--kong-admin-tls-client-cert-file=/crt",
      ],
      { CONTROLLER_KONG_ADMIN_TLS_CLIENT_KEY_FILE: "/key" },
      files,
    );
    expect(config.kongAdminToken).toBe("s3cret");
    expect(config.kongAdminCaCert).toBe(PEM_CERT);
    expect(config.kongAdminTlsClientCert).toBe(PEM_CERT);
    expect(config.kongAdminTlsClientKey).toBe(PEM_KEY);
  });

  it("a value flag beats a *-file env var", () => {
    const config = load([PUBLISH, "--kong-admin-token=flag"], {
      CONTROLLER_KONG_ADMIN_TOKEN_FILE: "/missing",
    });
    expect(config.kongAdminToken).toBe("flag");
  });

  it("lists KIC flags without effect and unknown CONTROLLER_ variables as ignored", () => {
    const config = load(
      [PUBLISH, "--anonymous-reports=false", "--profiling", "--enable-controller-kongplugin=false"],
      { CONTROLLER_NOT_A_SETTING: "x", CONTROLLER_ENABLE_REVERSE_SYNC: "true", HOME: "/root" },
    );
    expect(config.ignoredSettings).toEqual([
      "--anonymous-reports",
      "--enable-controller-kongplugin",
      "--profiling",
      "CONTROLLER_ENABLE_REVERSE_SYNC",
      "CONTROLLER_NOT_A_SETTING",
    ]);
  });

  it("passes status rules when status updates are off or a service is published", () => {
    expect(load(["--update-status=false"]).updateStatus).toBe(false);
    expect(load(["--publish-service=kong/proxy"]).publishService?.name).toBe("proxy");
  });
});

describe("loadConfig errors", () => {
  it.each<[string, string[], Record<string, string>, { setting: string; message: RegExp }[]]>([
    [
      "unknown flag and stray argument",
      ["--bogus", "stray"],
      {},
      [
        { setting: "--bogus", message: /unknown flag/ },
        { setting: "argument", message: /unexpected argument/ },
      ],
    ],
    [
      "a mistyped secret-bearing flag: its value is never echoed",
      ["--kong-admin-tokn", "s3cr3t-token"],
      {},
      [
        { setting: "--kong-admin-tokn", message: /unknown flag/ },
        { setting: "argument", message: /^unexpected argument \(its value is not shown/ },
      ],
    ],
    [
      "missing value",
      ["--ingress-class"],
      {},
      [{ setting: "--ingress-class", message: /needs a value/ }],
    ],
    [
      "a flag swallowed as value",
      ["--ingress-class", "--dump-config"],
      {},
      [{ setting: "--ingress-class", message: /needs a value/ }],
    ],
    [
      "bad number",
      ["--proxy-timeout-seconds=abc"],
      {},
      [{ setting: "--proxy-timeout-seconds", message: /number/ }],
    ],
    [
      "bad boolean",
      ["--dump-config=maybe"],
      {},
      [{ setting: "--dump-config", message: /true or false/ }],
    ],
    [
      "bad duration",
      ["--sync-holdoff=5"],
      {},
      [{ setting: "--sync-holdoff", message: /duration/ }],
    ],
    [
      "bad url",
      ["--kong-admin-url=ftp://kong"],
      {},
      [{ setting: "--kong-admin-url", message: /URL/ }],
    ],
    ["bad enum", ["--log-format=xml"], {}, [{ setting: "--log-format", message: /.+/ }]],
    [
      "bad env value is named by its env var",
      [],
      { CONTROLLER_PUBLISH_SERVICE: "no-slash" },
      [{ setting: "CONTROLLER_PUBLISH_SERVICE", message: /namespace\/name/ }],
    ],
    [
      "bad publish address",
      ["--publish-status-address=10.0.0.1,Not_Valid"],
      {},
      [{ setting: "--publish-status-address", message: /IP address or a DNS hostname/ }],
    ],
    [
      "value and file both given",
      ["--kong-admin-token=a", "--kong-admin-token-file=/t"],
      {},
      [{ setting: "--kong-admin-token", message: /conflicts with --kong-admin-token-file/ }],
    ],
    [
      "unreadable file",
      ["--kong-admin-ca-cert-file=/missing"],
      {},
      [{ setting: "--kong-admin-ca-cert-file", message: /cannot read \/missing/ }],
    ],
    [
      "not PEM",
      ["--kong-admin-ca-cert=hello"],
      {},
      [{ setting: "--kong-admin-ca-cert", message: /PEM/ }],
    ],
  ])("%s", (_name, argv, env, expected) => {
    const problems = problemsOf(() => load([PUBLISH, ...argv], env));
    expect(problems).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      expect(problems[i]?.setting).toBe(e.setting);
      expect(problems[i]?.message).toMatch(e.message);
    });
  });

  it("reports every bad setting at once", () => {
    const problems = problemsOf(() =>
      load([PUBLISH, "--proxy-timeout-seconds=x", "--log-level=loud", "--nope"], {
        CONTROLLER_SYNC_HOLDOFF: "soon",
      }),
    );
    expect(problems.map(p => p.setting).sort()).toEqual([
      "--log-level",
      "--nope",
      "--proxy-timeout-seconds",
      "CONTROLLER_SYNC_HOLDOFF",
    ]);
  });

  it("reports cross-field problems next to field problems", () => {
    const problems = problemsOf(() => load(["--proxy-timeout-seconds=x", "--sync-holdoff=1s"]));
    expect(problems.map(p => p.setting).sort()).toEqual([
      "--proxy-timeout-seconds",
      "--sync-max-delay",
      "--update-status",
    ]);
  });

  it("skips a cross-field rule whose settings are themselves invalid", () => {
    const problems = problemsOf(() => load(["--publish-service=bad", "--sync-holdoff=x"]));
    expect(problems.map(p => p.setting).sort()).toEqual(["--publish-service", "--sync-holdoff"]);
  });

  it.each<[string, string[], string, RegExp]>([
    ["status updates without an address source", [], "--update-status", /--publish-service/],
    [
      "client cert without key",
      [PUBLISH, `--kong-admin-tls-client-cert=${PEM_CERT}`],
      "--kong-admin-tls-client-key",
      /together/,
    ],
    [
      "client key without cert",
      [PUBLISH, `--kong-admin-tls-client-key=${PEM_KEY}`],
      "--kong-admin-tls-client-cert",
      /together/,
    ],
    [
      "holdoff above max delay",
      [PUBLISH, "--sync-holdoff=1s"],
      "--sync-max-delay",
      /--sync-holdoff \(1s\)/,
    ],
  ])("cross-field rule: %s", (_name, argv, setting, message) => {
    const problems = problemsOf(() => load(argv));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.setting).toBe(setting);
    expect(problems[0]?.message).toMatch(message);
  });

  it("names a bad value, except a sensitive one", () => {
    const problems = problemsOf(() =>
      load([PUBLISH, "--kong-admin-header=Authorization Bearer s3cret", "--sync-holdoff=soon"]),
    );
    expect(problems).toEqual([
      { setting: "--kong-admin-header", message: "expected name:value (item 0)" },
      { setting: "--sync-holdoff", message: expect.stringContaining('got "soon"') as string },
    ]);
  });

  it("puts every problem in the error message", () => {
    expect(() => load(["--bogus"])).toThrow(/--bogus: unknown flag\n {2}--update-status: /);
  });
});

describe("tenancy settings", () => {
  it("reads host ownership, budgets and ExternalName settings with their defaults", () => {
    const config = loadConfig({ argv: ["--publish-status-address=192.0.2.1"], env: {} });
    expect(config).toMatchObject({
      hostOwnership: true,
      hostClaimsConfigmap: "kongress-host-claims",
      hostClaimReleaseAfterMs: 600_000,
      externalNameServices: "allow",
      maxConfigBytes: 10 * 1024 * 1024,
    });
    expect(config.anyHostNamespaces).toBeUndefined();
    expect(config.hostNamespaces).toBeUndefined();
  });

  it("parses --host-namespaces as namespace=pattern entries and refuses others", () => {
    const config = loadConfig({
      argv: [
        "--publish-status-address=192.0.2.1",
        "--host-namespaces=team-a=*.A.example.com,team-b=b.example.com",
        "--any-host-namespaces=platform",
      ],
      env: {},
    });
    expect(config.hostNamespaces).toEqual([
      { namespace: "team-a", pattern: "*.a.example.com" },
      { namespace: "team-b", pattern: "b.example.com" },
    ]);
    expect(config.anyHostNamespaces).toEqual(["platform"]);
    expect(() =>
      loadConfig({
        argv: ["--publish-status-address=192.0.2.1", "--host-namespaces=*.a.example.com"],
        env: {},
      }),
    ).toThrow(ConfigSettingsInvalidError);
  });
});
