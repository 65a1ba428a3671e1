/**
 * The writer ranks host catch-alls by their hosts' Ingress route priorities without writing those
 * routes' expressions (`ingressRoutePriority`): it must read the paths as the written route does (whole
 * object paths where all their matches are there, match by match where an older claim took some) and
 * so give the very priority the route is written with. The priorities themselves are KIC's, checked in
 * expression-priorities.test.ts. The routes come from the Ingress sub-translator over a Store snapshot.
 */
import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { parseRouteAnnotations } from "../../../src/translator/annotations.ts";
import { dropConflictingPaths } from "../../../src/translator/conflicts.ts";
import { translateIngressRules, type IngressRoute } from "../../../src/translator/ingress.ts";
import { DEFAULT_CLASS_SETTINGS } from "../../../src/translator/ingress-class-parameters.ts";
import {
  ingressExpressionRoute,
  ingressRoutePriority,
} from "../../../src/translator/kong-writer/expressions.ts";
import { ResultsBuilder } from "../../../src/translator/results.ts";
import { compareAge } from "../../../src/translator/tls.ts";
import { ingress, ingressClass, rule, service, storeSnapshot } from "./store-snapshot.ts";

function ingressRoutes(): IngressRoute[] {
  const snapshot = storeSnapshot([
    ingressClass(),
    service("web"),
    ingress("prefix", { rules: [rule("shop.example.com", [{ path: "/a", pathType: "Prefix" }])] }),
    ingress("root", { rules: [rule("*.example.com", [{ path: "/", pathType: "Prefix" }])] }),
    ingress("exact", { rules: [rule(undefined, [{ path: "/a/b", pathType: "Exact" }])] }),
    ingress(
      "regex",
      {
        rules: [
          rule("api.example.com", [{ path: "/~/u/\\d+", pathType: "ImplementationSpecific" }]),
        ],
      },
      { "konghq.com/headers.x-team": "blue", "konghq.com/methods": "GET" },
    ),
    ingress("plain", {
      rules: [rule("plain.example.com", [{ path: "/p", pathType: "ImplementationSpecific" }])],
    }),
    // Older than `newer`, on the exact half of its Prefix path, to another port: a real conflict.
    ingress(
      "older",
      { rules: [rule("shop.example.com", [{ path: "/n", pathType: "Exact", port: 81 }])] },
      {},
      "2023-01-01T00:00:00Z",
    ),
    ingress("newer", { rules: [rule("shop.example.com", [{ path: "/n", pathType: "Prefix" }])] }),
  ]);
  const services = new Map<string, Service>(
    snapshot.services.map(s => [`${s.metadata.namespace ?? ""}/${s.metadata.name}`, s]),
  );
  const results = new ResultsBuilder();
  const routes: IngressRoute[] = [];
  for (const target of [...snapshot.ingresses].sort(compareAge)) {
    const emitted = translateIngressRules({
      ingress: target,
      overrides: parseRouteAnnotations(target.metadata.annotations).value,
      classSettings: DEFAULT_CLASS_SETTINGS,
      services: {
        get(namespace: string, name: string) {
          const found = services.get(`${namespace}/${name}`);
          return found === undefined
            ? { reason: "ServiceNotFound", missing: `Service ${namespace}/${name} not found` }
            : { service: found };
        },
      },
      results,
    });
    for (const e of emitted) if (e.route.kind === "http") routes.push(e as IngressRoute);
  }
  return [...dropConflictingPaths(routes, results).kept];
}

describe("ingressRoutePriority", () => {
  const routes = ingressRoutes();

  it("covers a path an older claim trimmed and each Ingress path type", () => {
    const newer = routes.find(r => r.ingress.metadata.name === "newer");
    expect(newer?.route.match.paths.map(p => p.kind)).toEqual(["prefix"]);
    expect(new Set(routes.map(r => r.ingress.metadata.name)).size).toBe(7);
  });

  it.each(routes.map(r => [r.route.name, r] as const))(
    "%s: the priority its expression route is written with",
    (_name, r) => {
      expect(ingressRoutePriority(r.route)).toBe(ingressExpressionRoute(r.route).priority);
    },
  );
});
