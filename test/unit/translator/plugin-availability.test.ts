/**
 * Plugins our schemas do not know are sent with their config unchecked, unless Kong has said it does
 * not have them; plugins it knows are checked with Kong's schemas whatever Kong has.
 */
import { describe, expect, it } from "vitest";
import type { AnyKongPlugin } from "../../../src/model/kong.ts";
import { buildPlugin } from "../../../src/translator/plugin-config.ts";
import { createTranslator, DEFAULT_TRANSLATE_OPTIONS } from "../../../src/translator/index.ts";
import { loadSnapshot } from "../../support/golden.ts";

function pluginDoc(plugin: string, config: Record<string, unknown>) {
  return {
    apiVersion: "configuration.konghq.com/v1",
    kind: "KongPlugin",
    metadata: { name: "p", namespace: "default" },
    plugin,
    config,
  };
}

/** The plugin object as the store hands it out. */
function pluginObject(plugin: string, config: Record<string, unknown>): AnyKongPlugin {
  const [only] = loadSnapshot([pluginDoc(plugin, config)]).kongPlugins;
  if (only === undefined) throw new Error("no KongPlugin loaded");
  return only;
}

interface Row {
  readonly plugin: string;
  readonly config: Record<string, unknown>;
  /** What Kong said it has; undefined: not said (offline). */
  readonly kong?: readonly string[];
  /** Undefined: built, with its config as given. */
  readonly reason?: string;
  readonly message?: string;
}

const custom = { header_name: "X-Team", anything: [1, { goes: true }] };

const rows: readonly Row[] = [
  { plugin: "my-header", config: custom },
  { plugin: "my-header", config: custom, kong: ["key-auth", "my-header"] },
  {
    plugin: "my-header",
    config: custom,
    kong: ["key-auth"],
    reason: "PluginNotAvailable",
    message: "Kong does not have plugin my-header",
  },
  { plugin: "rate-limiting", config: { minute: 10 } },
  { plugin: "rate-limiting", config: { minute: 10 }, kong: ["rate-limiting"] },
  {
    plugin: "rate-limiting",
    config: { policy: "local" },
    reason: "PluginConfigInvalid",
    message: "Kong would reject plugin rate-limiting",
  },
  {
    plugin: "rate-limiting",
    config: { policy: "local" },
    kong: ["rate-limiting"],
    reason: "PluginConfigInvalid",
    message: "Kong would reject plugin rate-limiting",
  },
  {
    plugin: "rate-limiting",
    config: { minute: 10 },
    kong: ["my-header"],
    reason: "PluginNotAvailable",
    message: "Kong does not have plugin rate-limiting",
  },
  // Bundled, without a schema of ours: its config is Kong's to judge.
  { plugin: "oauth2", config: { scopes: ["a"], whatever: 1 } },
];

describe("buildPlugin and Kong's plugin list", () => {
  it.each(rows)("$plugin, Kong has $kong", ({ plugin, config, kong, reason, message }) => {
    const built = buildPlugin(
      pluginObject(plugin, config),
      new Map(),
      kong === undefined ? undefined : new Set(kong),
    );
    if (reason === undefined) {
      expect(built.build).toMatchObject({ ok: true, body: { name: plugin, config } });
      return;
    }
    expect(built.build).toMatchObject({ ok: false, reason });
    expect(built.build.ok ? "" : built.build.message).toContain(message);
  });
});

describe("a translation follows Kong's plugin list as it changes", () => {
  const documents = [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: {
        name: "kong",
        annotations: { "ingressclass.kubernetes.io/is-default-class": "true" },
      },
      spec: { controller: "ingress-controllers.konghq.com/kong" },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { ports: [{ port: 80 }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "shop", namespace: "default", annotations: { "konghq.com/plugins": "p" } },
      spec: {
        rules: [
          {
            host: "shop.example.com",
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
    pluginDoc("my-header", custom),
  ];

  it("serves the Ingress only while Kong is not known to lack its plugin", () => {
    let kong: readonly string[] | undefined;
    const translator = createTranslator({ ...DEFAULT_TRANSLATE_OPTIONS, kongPlugins: () => kong });
    const snapshot = loadSnapshot(documents);
    const served = () => {
      const result = translator(snapshot);
      const ingress = result.results.find(r => r.ref.kind === "Ingress");
      const plugins = (result.config.plugins ?? []).map(p => p.name);
      return { outcome: ingress?.outcome, reasons: ingress?.problems.map(p => p.reason), plugins };
    };
    const yes = { outcome: "translated", reasons: [], plugins: ["my-header"] };
    const no = { outcome: "excluded", reasons: ["PluginNotAvailable"], plugins: [] };
    expect(served()).toEqual(yes);
    kong = ["key-auth"];
    expect(served()).toEqual(no);
    kong = ["key-auth", "my-header"];
    expect(served()).toEqual(yes);
    kong = undefined;
    expect(served()).toEqual(yes);
  });
});
