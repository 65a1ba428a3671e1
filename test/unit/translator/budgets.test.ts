/**
 * Per-object budgets with the inputs an outside review measured, generated here: 13,000 host aliases
 * on 400 rules (a 177 MB config before), 9,000 rules in one Ingress (never finished before), 14,000
 * paths in one rule (quadratic de-duplication before). Each offender is left out with a problem and
 * the Ingress next to it is routed as before. How long they take is recorded by the benchmarks.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import type { TranslationResult } from "../../../src/translator/types.ts";
import { loadSnapshot } from "../../support/golden.ts";

const ingressClass = {
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name: "kong" },
  spec: { controller: "ingress-controllers.konghq.com/kong" },
};
const web = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop" },
  spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
};
const evilService = { ...web, metadata: { name: "web", namespace: "evil" } };

function path(p: string) {
  return {
    path: p,
    pathType: "Prefix",
    backend: { service: { name: "web", port: { number: 80 } } },
  };
}

function ingress(
  namespace: string,
  name: string,
  spec: { rules: object[]; annotations?: Record<string, string> },
) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name,
      namespace,
      creationTimestamp: "2026-01-01T00:00:00Z",
      ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
    },
    spec: { ingressClassName: "kong", rules: spec.rules },
  };
}

const victim = ingress("shop", "shop", {
  rules: [{ host: "shop.example.com", http: { paths: [path("/")] } }],
});

function run(offender: object, options = DEFAULT_TRANSLATE_OPTIONS): TranslationResult {
  return translate(loadSnapshot([ingressClass, web, evilService, victim, offender]), options);
}

function problemsOf(result: TranslationResult, name: string): string[] {
  const r = result.results.find(x => x.ref.kind === "Ingress" && x.ref.name === name);
  return (r?.problems ?? []).map(p => `${p.reason}: ${p.message}`);
}

function routeNames(result: TranslationResult): string[] {
  return (result.config.services ?? []).flatMap(s => (s.routes ?? []).map(r => r.name));
}

function expectOnlyOffenderOut(result: TranslationResult, budget: string): void {
  expect(problemsOf(result, "huge")).toEqual([expect.stringContaining(budget)]);
  expect(result.results.find(x => x.ref.name === "huge")?.outcome).toBe("excluded");
  expect(routeNames(result)).toEqual(["shop.shop.web.shop.example.com.80"]);
  expect(problemsOf(result, "shop")).toEqual([]);
}

describe("per-object budgets", () => {
  it("13,000 host aliases on 400 rules: left out before it is translated", () => {
    const aliases = Array.from({ length: 13_000 }, (_, i) => `a${i}.evil.example`).join(",");
    const rules = Array.from({ length: 400 }, (_, i) => ({
      host: `h${i}.evil.example`,
      http: { paths: [path(`/p${i}`)] },
    }));
    const result = run(
      ingress("evil", "huge", { rules, annotations: { "konghq.com/host-aliases": aliases } }),
    );
    expectOnlyOffenderOut(result, "--max-host-aliases-per-object");
    // Nor does it claim 13,000 hosts in the record.
    expect(result.tenancy?.claims.length).toBe(1);
  });

  it("9,000 rules in one Ingress: over the routes budget", () => {
    const rules = Array.from({ length: 9_000 }, (_, i) => ({
      host: `h${i}.evil.example`,
      http: { paths: [path("/")] },
    }));
    expectOnlyOffenderOut(run(ingress("evil", "huge", { rules })), "--max-routes-per-object");
  });

  it("a host-paths budget counts what the spec would produce", () => {
    const rules = [{ host: "evil.example", http: { paths: [path("/a"), path("/b"), path("/c")] } }];
    const result = run(
      ingress("evil", "huge", { rules, annotations: { "konghq.com/host-aliases": "x.example" } }),
      { ...DEFAULT_TRANSLATE_OPTIONS, objectBudgets: { hostPaths: 5 } },
    );
    expectOnlyOffenderOut(result, "6 hosts × paths");
  });

  it("an estimated-bytes budget counts every route", () => {
    const rules = [{ host: "evil.example", http: { paths: [path(`/${"x".repeat(2_000)}`)] } }];
    const result = run(ingress("evil", "huge", { rules }), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      objectBudgets: { bytes: 2_000 },
    });
    expectOnlyOffenderOut(result, "--max-config-bytes-per-object");
  });

  it("14,000 distinct paths in one rule, budgets raised: every path routed once", () => {
    const paths = Array.from({ length: 14_000 }, (_, i) => path(`/p${i}`));
    // Each Prefix path is two Kong paths; the same paths twice more are de-duplicated.
    const rules = [{ host: "big.example", http: { paths: [...paths, ...paths, ...paths] } }];
    const result = run(ingress("evil", "huge", { rules }), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      objectBudgets: { hostPaths: 100_000 },
    });
    const route = (result.config.services ?? [])
      .flatMap(s => s.routes ?? [])
      .find(r => r.name.startsWith("evil.huge"));
    expect(route?.paths).toHaveLength(28_000);
    expect(problemsOf(result, "huge")).toEqual([]);
  });

  it("an Ingress over a budget claims no host: a newer Ingress of another namespace keeps it", () => {
    const hosts = ["a.contested.example", "b.contested.example", "c.contested.example"];
    const older = ingress("evil", "huge", {
      rules: hosts.map(host => ({ host, http: { paths: [path("/")] } })),
    });
    const newer = ingress("shop", "later", {
      rules: [{ host: "a.contested.example", http: { paths: [path("/")] } }],
    });
    const result = translate(
      loadSnapshot([
        ingressClass,
        web,
        evilService,
        { ...older, metadata: { ...older.metadata, creationTimestamp: "2020-01-01T00:00:00Z" } },
        newer,
      ]),
      { ...DEFAULT_TRANSLATE_OPTIONS, objectBudgets: { routes: 2 } },
    );
    expect(problemsOf(result, "huge")).toEqual([expect.stringContaining("3 Kong routes")]);
    expect(problemsOf(result, "later")).toEqual([]);
    expect(routeNames(result)).toContain("shop.later.web.a.contested.example.80");
    expect(result.tenancy?.claims.filter(c => c.namespace === "evil")).toEqual([]);
  });
});
