/**
 * Claims on the same host and path between Ingresses (conflicts.ts): identical claims share one route,
 * real conflicts leave the newer Ingress's path out and tell it, the oldest Ingress wins, and a claim
 * is keyed by host, Kong path, methods, headers, SNIs and protocols. The routes come from the Ingress
 * sub-translator over a Store snapshot, handed over oldest first as ingresses.ts does.
 */
import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/model/k8s.ts";
import { parseRouteAnnotations } from "../../../src/translator/annotations.ts";
import { dropConflictingPaths } from "../../../src/translator/conflicts.ts";
import { translateIngressRules, type IngressRoute } from "../../../src/translator/ingress.ts";
import { DEFAULT_CLASS_SETTINGS } from "../../../src/translator/ingress-class-parameters.ts";
import { kongPath } from "../../../src/translator/kong-writer/index.ts";
import { ResultsBuilder } from "../../../src/translator/results.ts";
import { compareAge } from "../../../src/translator/tls.ts";
import { ingress, ingressClass, rule, service, storeSnapshot, type Raw } from "./store-snapshot.ts";

const host = "shop.example.com";
const OLD = "2024-01-01T00:00:01Z";
const NEW = "2024-01-01T00:00:02Z";

type PathSpec = Parameters<typeof rule>[1][number];

/** An Ingress of one rule on `hostName` (undefined: any host), created at `created`. */
function claim(
  name: string,
  created: string,
  paths: PathSpec[],
  opts: { annotations?: Record<string, string>; hostName?: string | null } = {},
): Raw {
  const ruleHost = opts.hostName === null ? undefined : (opts.hostName ?? host);
  return ingress(name, { rules: [rule(ruleHost, paths)] }, opts.annotations ?? {}, created);
}

function resolve(ingresses: Raw[]) {
  const { results, routes } = routesOf(ingresses);
  const { kept, sharing } = dropConflictingPaths(routes, results);
  const built = results.build();
  return {
    kept: kept.map(
      r => `${r.ingress.metadata.name}: ${r.route.match.paths.map(kongPath).join(" ")}`,
    ),
    sharing: sharing.map(s => s.ingress.metadata.name),
    problems: built.flatMap(r => r.problems.map(p => `${r.ref.name}: ${p.reason}: ${p.message}`)),
    dependsOn: built.flatMap(r =>
      r.dependsOn.filter(d => d.kind === "Ingress").map(d => `${r.ref.name} -> ${d.name}`),
    ),
  };
}

/** The Ingresses' http routes as the sub-translator emits them, oldest first. */
function routesOf(ingresses: Raw[]): { results: ResultsBuilder; routes: IngressRoute[] } {
  const snapshot = storeSnapshot([ingressClass(), service("web"), service("api"), ...ingresses]);
  const services = new Map<string, Service>(
    snapshot.services.map(s => [`${s.metadata.namespace ?? ""}/${s.metadata.name}`, s]),
  );
  const results = new ResultsBuilder();
  const routes: IngressRoute[] = [];
  // Oldest first, ties by namespace/name: the order ingresses.ts hands the routes over in.
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
  return { results, routes };
}

const conflictOf = (name: string, path: string, holder: string, on = `host ${host}`) =>
  `${name}: HostPathConflict: path "${path}" on ${on} is already routed by the older Ingress shop/${holder}; it is not routed here`;

/** A Prefix path is two Kong paths (the prefix and the exact path): each is reported. */
const prefixConflictOf = (name: string, holder: string, on?: string) => [
  conflictOf(name, "/a/", holder, on),
  conflictOf(name, "~/a$", holder, on),
];

describe("dropConflictingPaths: identical claims share, real conflicts do not", () => {
  it.each([
    {
      name: "same host, path and backend: one route, the newer Ingress shares it",
      ingresses: [claim("old", OLD, [{ path: "/a" }]), claim("new", NEW, [{ path: "/a" }])],
      kept: ["old: /a/ ~/a$"],
      sharing: ["new"],
      problems: [],
      dependsOn: ["new -> old"],
    },
    {
      name: "same host and path, another backend: the newer Ingress is told",
      ingresses: [
        claim("old", OLD, [{ path: "/a" }]),
        claim("new", NEW, [{ path: "/a", service: "api" }]),
      ],
      kept: ["old: /a/ ~/a$"],
      sharing: [],
      problems: prefixConflictOf("new", "old"),
      dependsOn: [],
    },
    {
      name: "same backend, other route settings (strip-path): a real conflict",
      ingresses: [
        claim("old", OLD, [{ path: "/a" }]),
        claim("new", NEW, [{ path: "/a" }], { annotations: { "konghq.com/strip-path": "true" } }),
      ],
      kept: ["old: /a/ ~/a$"],
      sharing: [],
      problems: prefixConflictOf("new", "old"),
      dependsOn: [],
    },
    {
      name: "same backend, same settings written differently (TRUE, true): identical",
      ingresses: [
        claim("old", OLD, [{ path: "/a" }], { annotations: { "konghq.com/strip-path": "TRUE" } }),
        claim("new", NEW, [{ path: "/a" }], { annotations: { "konghq.com/strip-path": "true" } }),
      ],
      kept: ["old: /a/ ~/a$"],
      sharing: ["new"],
      problems: [],
      dependsOn: ["new -> old"],
    },
    {
      name: "one of two paths taken: the other path stays, only the taken one is reported",
      ingresses: [
        claim("old", OLD, [{ path: "/a", pathType: "Exact" }]),
        claim("new", NEW, [
          { path: "/a", pathType: "Exact", service: "api" },
          { path: "/b", pathType: "Exact", service: "api" },
        ]),
      ],
      kept: ["old: ~/a$", "new: ~/b$"],
      sharing: [],
      problems: [conflictOf("new", "~/a$", "old")],
      dependsOn: [],
    },
    {
      name: "an Exact path equal to another Ingress's Prefix regex: claimed by the Prefix",
      ingresses: [
        claim("old", OLD, [{ path: "/a" }]),
        claim("new", NEW, [{ path: "/a", pathType: "Exact", service: "api" }]),
      ],
      kept: ["old: /a/ ~/a$"],
      sharing: [],
      problems: [conflictOf("new", "~/a$", "old")],
      dependsOn: [],
    },
    {
      name: "the newer Prefix shares its exact path and keeps its prefix when the backend is the same",
      ingresses: [
        claim("old", OLD, [{ path: "/a", pathType: "Exact" }]),
        claim("new", NEW, [{ path: "/a" }]),
      ],
      kept: ["old: ~/a$", "new: /a/"],
      sharing: ["new"],
      problems: [],
      dependsOn: ["new -> old"],
    },
    {
      name: "no host on either: both claim any host, the newer is told",
      ingresses: [
        claim("old", OLD, [{ path: "/a" }], { hostName: null }),
        claim("new", NEW, [{ path: "/a", service: "api" }], { hostName: null }),
      ],
      kept: ["old: /a/ ~/a$"],
      sharing: [],
      problems: prefixConflictOf("new", "old", "any host"),
      dependsOn: [],
    },
  ])("$name", ({ ingresses, kept, sharing, problems, dependsOn }) => {
    expect(resolve(ingresses)).toEqual({ kept, sharing, problems, dependsOn });
  });
});

describe("dropConflictingPaths: a sharer names the route it shares", () => {
  it("by the kept route's name, once however many of its paths it shares", () => {
    const { results, routes } = routesOf([
      claim("old", OLD, [{ path: "/a" }, { path: "/b" }]),
      claim("new", NEW, [{ path: "/a" }, { path: "/b" }]),
    ]);
    const { kept, sharing } = dropConflictingPaths(routes, results);
    const holders = kept.filter(r => r.ingress.metadata.name === "old").map(r => r.route.name);
    expect(holders.length).toBeGreaterThan(0);
    expect(sharing.map(s => [s.ingress.metadata.name, [...s.routes].sort()])).toEqual([
      ["new", [...new Set(holders)].sort()],
    ]);
  });
});

describe("dropConflictingPaths: the oldest Ingress wins", () => {
  it.each([
    ["the older one sorts last by name", "z-old", "a-new"],
    ["the older one sorts first by name", "a-old", "z-new"],
  ])("%s", (_, older, newer) => {
    const got = resolve([
      claim(newer, NEW, [{ path: "/a", service: "api" }]),
      claim(older, OLD, [{ path: "/a" }]),
    ]);
    expect(got.kept).toEqual([`${older}: /a/ ~/a$`]);
    expect(got.problems).toEqual(prefixConflictOf(newer, older));
  });

  it("breaks a tie in creation time by namespace/name, so the outcome never depends on order", () => {
    const forwards = resolve([
      claim("b", OLD, [{ path: "/a", service: "api" }]),
      claim("a", OLD, [{ path: "/a" }]),
    ]);
    const backwards = resolve([
      claim("a", OLD, [{ path: "/a" }]),
      claim("b", OLD, [{ path: "/a", service: "api" }]),
    ]);
    expect(forwards).toEqual(backwards);
    expect(forwards.kept).toEqual(["a: /a/ ~/a$"]);
  });
});

describe("dropConflictingPaths: what a claim is keyed by", () => {
  /** Two Ingresses on path /a to different backends, differing only in what `older`/`newer` add. */
  const pair = (older: Parameters<typeof claim>[3], newer: Parameters<typeof claim>[3]) =>
    resolve([
      claim("old", OLD, [{ path: "/a" }], older),
      claim("new", NEW, [{ path: "/a", service: "api" }], newer),
    ]);
  const BOTH = ["old: /a/ ~/a$", "new: /a/ ~/a$"];
  const OLD_ONLY = ["old: /a/ ~/a$"];

  it.each([
    { name: "other hosts", older: {}, newer: { hostName: "api.example.com" }, kept: BOTH },
    {
      name: "other methods",
      older: { annotations: { "konghq.com/methods": "GET" } },
      newer: { annotations: { "konghq.com/methods": "POST" } },
      kept: BOTH,
    },
    {
      name: "the same methods",
      older: { annotations: { "konghq.com/methods": "GET,POST" } },
      newer: { annotations: { "konghq.com/methods": "GET,POST" } },
      kept: OLD_ONLY,
    },
    {
      name: "methods on one only",
      older: {},
      newer: { annotations: { "konghq.com/methods": "GET" } },
      kept: BOTH,
    },
    {
      name: "other header values",
      older: { annotations: { "konghq.com/headers.x-tenant": "a" } },
      newer: { annotations: { "konghq.com/headers.x-tenant": "b" } },
      kept: BOTH,
    },
    {
      name: "header names differing only in case (Kong matches them case-insensitively)",
      older: { annotations: { "konghq.com/headers.X-Tenant": "a" } },
      newer: { annotations: { "konghq.com/headers.x-tenant": "a" } },
      kept: OLD_ONLY,
    },
    {
      name: "other protocols",
      older: {},
      newer: { annotations: { "konghq.com/protocols": "https" } },
      kept: BOTH,
    },
    {
      name: "Kong's default protocols written out, in another order",
      older: {},
      newer: { annotations: { "konghq.com/protocols": "https,http" } },
      kept: OLD_ONLY,
    },
  ])("$name: kept $kept", ({ older, newer, kept }) => {
    const got = pair(older, newer);
    expect(got.kept).toEqual(kept);
    expect(got.problems).toEqual(kept === BOTH ? [] : prefixConflictOf("new", "old"));
  });
});
