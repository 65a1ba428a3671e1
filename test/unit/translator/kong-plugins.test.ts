/** KIC's plugin combinations (kic-kong-resources.md §2.2, §2.4) through the whole translator. */
import { describe, expect, it } from "vitest";
import { redactConfig, SECRET_CONFIG_TAG } from "../../../src/kong/redact.ts";
import type { KongPlugin } from "../../../src/kong/types.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import { loadSnapshot } from "../../support/golden.ts";

const GROUP = "configuration.konghq.com";

const base = [
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: {
      name: "kong",
      annotations: { "ingressclass.kubernetes.io/is-default-class": "true" },
    },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  },
];

function service(plugins?: string) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "web",
      namespace: "default",
      ...(plugins === undefined ? {} : { annotations: { "konghq.com/plugins": plugins } }),
    },
    spec: { ports: [{ port: 80 }] },
  };
}

function ingress(plugins?: string) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "shop",
      namespace: "default",
      ...(plugins === undefined ? {} : { annotations: { "konghq.com/plugins": plugins } }),
    },
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
  };
}

function consumer(name: string, plugins?: string) {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "KongConsumer",
    metadata: {
      name,
      namespace: "default",
      ...(plugins === undefined ? {} : { annotations: { "konghq.com/plugins": plugins } }),
    },
    username: name,
  };
}

const plugin = (fields: object = {}) => ({
  apiVersion: `${GROUP}/v1`,
  kind: "KongPlugin",
  metadata: { name: "p", namespace: "default" },
  plugin: "rate-limiting",
  config: { minute: 1, policy: "local" },
  ...fields,
});

function scopes(objects: readonly unknown[]): string[] {
  const { config } = translate(loadSnapshot([...base, ...objects]), DEFAULT_TRANSLATE_OPTIONS);
  return (config.plugins ?? []).map(
    (p: KongPlugin) =>
      `${p.service ?? "-"} ${p.route ?? "-"} ${p.consumer ?? "-"}${p.instance_name === undefined ? "" : ` ${p.instance_name}`}`,
  );
}

const SERVICE = "default.web.80";
const ROUTE = "default.shop.web.shop.example.com.80";

describe("plugin combinations", () => {
  it.each([
    {
      name: "services and routes only: one per service and one per route",
      objects: [service("p"), ingress("p"), plugin()],
      want: [`${SERVICE} - -`, `- ${ROUTE} -`],
    },
    {
      name: "consumers and services/routes: one per consumer × each, nothing unscoped",
      objects: [service("p"), ingress("p"), consumer("a", "p"), consumer("b", "p"), plugin()],
      want: [`${SERVICE} - a`, `- ${ROUTE} a`, `${SERVICE} - b`, `- ${ROUTE} b`],
    },
    {
      name: "consumers only: one per consumer",
      objects: [service(), ingress(), consumer("a", "p"), plugin()],
      want: ["- - a"],
    },
  ])("$name", ({ objects, want }) => {
    expect([...scopes(objects)].sort()).toEqual([...want].sort());
  });

  it("suffixes instance_name per attachment as KIC does (its check value)", () => {
    const httpbin = {
      ...ingress("p"),
      metadata: {
        name: "httpbin",
        namespace: "default",
        annotations: { "konghq.com/plugins": "p" },
      },
      spec: {
        rules: [
          {
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "httpbin", port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    };
    const svc = { ...service(), metadata: { name: "httpbin", namespace: "default" } };
    expect(scopes([svc, httpbin, plugin({ instance_name: "example" })])).toEqual([
      "- default.httpbin.httpbin..80 - example-21a1f5b5f",
    ]);
  });

  it("an unreferenced plugin is not in the config, and a referenced one is translated", () => {
    const result = translate(
      loadSnapshot([...base, service(), ingress(), plugin()]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    expect(result.config.plugins).toBeUndefined();
    expect(result.results.find(r => r.ref.kind === "KongPlugin")?.outcome).toBe("ignored");
  });
});

describe("plugins whose config comes from a Secret", () => {
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "rl-config", namespace: "default" },
    data: { config: Buffer.from('{"minute": 7, "policy": "local"}').toString("base64") },
  };

  it.each([
    {
      name: "configFrom",
      fields: {
        config: undefined,
        configFrom: { secretKeyRef: { name: "rl-config", key: "config" } },
      },
    },
    {
      name: "configPatches",
      fields: {
        configPatches: [
          { path: "/minute", valueFrom: { secretKeyRef: { name: "rl-config", key: "minute" } } },
        ],
      },
    },
  ])("$name: tagged, so the redactor hides the config", ({ fields }) => {
    const withMinute = {
      ...secret,
      data: { ...secret.data, minute: Buffer.from("7").toString("base64") },
    };
    const { config } = translate(
      loadSnapshot([...base, withMinute, service(), ingress("p"), plugin(fields)]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    const [sent] = config.plugins ?? [];
    expect(sent?.tags).toContain(SECRET_CONFIG_TAG);
    expect(sent?.config).toMatchObject({ minute: 7 });
    expect(JSON.stringify(redactConfig(config).plugins)).not.toContain('"minute":7');
  });

  it("a plugin with an inline config is not tagged", () => {
    const { config } = translate(
      loadSnapshot([...base, service(), ingress("p"), plugin()]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    expect(config.plugins?.[0]?.tags).not.toContain(SECRET_CONFIG_TAG);
  });
});

describe("a plugin object of a name the route's own settings already use", () => {
  const transformer = plugin({
    plugin: "request-transformer",
    config: { add: { headers: ["x-team:shop"] } },
  });
  const rewritten = {
    ...ingress("p"),
    metadata: {
      name: "shop",
      namespace: "default",
      annotations: { "konghq.com/plugins": "p", "konghq.com/rewrite": "/v2/$1" },
    },
  };

  it("konghq.com/rewrite's request-transformer stays alone on the route; the Ingress is told", () => {
    const { config, results } = translate(
      loadSnapshot([...base, service(), rewritten, transformer]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    const onRoute = (config.services ?? [])
      .flatMap(s => s.routes ?? [])
      .flatMap(r => (r.plugins ?? []).map(p => `${r.name} ${p.name}`));
    const topLevel = (config.plugins ?? []).map(p => `${p.route ?? "-"} ${p.name}`);
    const names = [...onRoute, ...topLevel].filter(n => n.endsWith("request-transformer"));
    expect(names).toHaveLength(1);
    const problems = results.find(r => r.ref.kind === "Ingress")?.problems ?? [];
    expect(problems.map(p => p.reason)).toContain("PluginConflict");
  });

  it("without the rewrite, the KongPlugin is attached to the route", () => {
    expect(scopes([service(), ingress("p"), transformer])).toEqual([`- ${ROUTE} -`]);
  });
});
