/**
 * Host ownership over a sequence of translations, with the claim record carried from one to the next
 * as the controller carries it (every claim of a translation, stamped when first seen): an attacker's
 * old object edited to take a host never wins it; the owner decides among its own objects.
 */
import { describe, expect, it } from "vitest";
import type { ObjectResult, TranslationResult } from "../../../src/translator/types.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import {
  ClaimCollector,
  HostOwnership,
  patternCovers,
  type RecordedClaim,
} from "../../../src/translator/ownership.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { loadSnapshot } from "../../support/golden.ts";

const ingressClass = {
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name: "kong", creationTimestamp: "2020-01-01T00:00:00Z" },
  spec: { controller: "ingress-controllers.konghq.com/kong" },
};

function service(namespace: string, name: string): object {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, creationTimestamp: "2020-01-01T00:00:00Z" },
    spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
  };
}

function ingress(
  m: { namespace: string; name: string; created: string },
  rules: readonly { host: string; path: string; service: string }[],
): object {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: m.name, namespace: m.namespace, creationTimestamp: m.created },
    spec: {
      ingressClassName: "kong",
      rules: rules.map(r => ({
        host: r.host,
        http: {
          paths: [
            {
              path: r.path,
              pathType: "Prefix",
              backend: { service: { name: r.service, port: { number: 80 } } },
            },
          ],
        },
      })),
    },
  };
}

const victim = ingress({ namespace: "shop", name: "shop", created: "2026-06-01T00:00:00Z" }, [
  { host: "shop.example.com", path: "/", service: "web" },
]);
const legacy = { namespace: "evil", name: "legacy", created: "2019-01-01T00:00:00Z" };
const attackerBefore = ingress(legacy, [{ host: "evil.example.com", path: "/", service: "evil" }]);
const attackerEdited = ingress(legacy, [
  { host: "evil.example.com", path: "/", service: "evil" },
  { host: "shop.example.com", path: "/", service: "evil" },
  { host: "shop.example.com", path: "/checkout", service: "evil" },
]);
const base = [ingressClass, service("shop", "web"), service("evil", "evil")];

/** The controller's record: claims seen before keep their time, new ones get `now`. */
function recordAfter(
  record: readonly RecordedClaim[],
  result: TranslationResult,
  now: string,
): RecordedClaim[] {
  const known = new Map(record.map(r => [`${r.host} ${r.namespace}`, r]));
  return (result.tenancy?.claims ?? []).map(
    c => known.get(`${c.host} ${c.namespace}`) ?? { ...c, since: now },
  );
}

function resultOf(result: TranslationResult, kind: string, name: string): ObjectResult {
  const found = result.results.find(r => r.ref.kind === kind && r.ref.name === name);
  if (found === undefined) throw new Error(`no result for ${kind} ${name}`);
  return found;
}

function routesFor(result: TranslationResult, host: string): string[] {
  return (result.config.services ?? [])
    .flatMap(s => s.routes ?? [])
    .filter(r => (r.hosts ?? []).includes(host))
    .map(r => r.name);
}

describe("host ownership over time", () => {
  it("keeps the victim's host when an attacker's old Ingress is edited to take it", () => {
    const first = translate(
      loadSnapshot([...base, victim, attackerBefore]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    const record = recordAfter([], first, "2026-06-01T00:00:01Z");
    expect(record).toEqual([
      { host: "evil.example.com", namespace: "evil", since: "2026-06-01T00:00:01Z" },
      { host: "shop.example.com", namespace: "shop", since: "2026-06-01T00:00:01Z" },
    ]);

    const options = { ...DEFAULT_TRANSLATE_OPTIONS, hostClaims: () => record };
    const edited = translate(loadSnapshot([...base, victim, attackerEdited]), options);
    expect(routesFor(edited, "shop.example.com")).toEqual(["shop.shop.web.shop.example.com.80"]);
    expect(resultOf(edited, "Ingress", "shop").problems).toEqual([]);
    expect(resultOf(edited, "Ingress", "legacy").problems.map(p => p.reason)).toEqual([
      "HostOwnedByOtherNamespace",
    ]);

    // The attacker's new claim enters the record later than the victim's: it stays refused.
    const later = recordAfter(record, edited, "2026-07-01T00:00:00Z");
    const again = translate(loadSnapshot([...base, victim, attackerEdited]), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      hostClaims: later,
    });
    expect(routesFor(again, "shop.example.com")).toEqual(["shop.shop.web.shop.example.com.80"]);
  });

  it("without a record, the same edit wins by the old creationTimestamp (why the record exists)", () => {
    const edited = translate(
      loadSnapshot([...base, victim, attackerEdited]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    expect(routesFor(edited, "shop.example.com")).toEqual(["evil.legacy.evil.shop.example.com.80"]);
  });

  it("hands the host on once its owner no longer claims it", () => {
    const record: RecordedClaim[] = [
      { host: "shop.example.com", namespace: "shop", since: "2026-06-01T00:00:01Z" },
      { host: "shop.example.com", namespace: "evil", since: "2026-07-01T00:00:00Z" },
    ];
    const result = translate(loadSnapshot([...base, attackerEdited]), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      hostClaims: record,
    });
    expect(routesFor(result, "shop.example.com")).toEqual(["evil.legacy.evil.shop.example.com.80"]);
    expect(result.tenancy?.claims).toEqual([
      { host: "evil.example.com", namespace: "evil" },
      { host: "shop.example.com", namespace: "evil" },
    ]);
  });

  it("leaves every host to the per-path rules when ownership is off", () => {
    const result = translate(loadSnapshot([...base, victim, attackerEdited]), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      hostOwnership: false,
      hostClaims: [{ host: "shop.example.com", namespace: "shop", since: "2026-06-01T00:00:01Z" }],
    });
    expect(resultOf(result, "Ingress", "shop").problems.map(p => p.reason)).toEqual([
      "HostPathConflict",
    ]);
  });
});

describe("HostOwnership", () => {
  const objects = loadSnapshot([
    ingress({ namespace: "a", name: "old", created: "2019-01-01T00:00:00Z" }, []),
    ingress({ namespace: "b", name: "new", created: "2026-01-01T00:00:00Z" }, []),
    ingress({ namespace: "c", name: "newest", created: "2026-02-01T00:00:00Z" }, []),
  ]).ingresses;
  const [a, b, c] = objects as unknown as readonly [KubeObject, KubeObject, KubeObject];

  function ownership(
    claims: readonly [string, KubeObject][],
    recorded: readonly RecordedClaim[] = [],
  ): HostOwnership {
    const collector = new ClaimCollector();
    for (const [host, obj] of claims) collector.add(host, obj);
    return new HostOwnership(collector, { enabled: true, recorded, anyHostNamespaces: undefined });
  }

  it.each([
    { name: "no record: the oldest object", recorded: [], owner: "a" },
    {
      name: "a recorded claim before an unrecorded one",
      recorded: [{ host: "x.example.com", namespace: "b", since: "2026-03-01T00:00:00Z" }],
      owner: "b",
    },
    {
      name: "the earlier of two recorded claims",
      recorded: [
        { host: "x.example.com", namespace: "a", since: "2026-03-02T00:00:00Z" },
        { host: "x.example.com", namespace: "c", since: "2026-03-01T00:00:00Z" },
      ],
      owner: "c",
    },
  ])("owner: $name", ({ recorded, owner }) => {
    const o = ownership(
      [
        ["x.example.com", b],
        ["X.Example.com", a],
        ["x.example.com", c],
      ],
      recorded,
    );
    expect(o.ownerOf("x.example.com")?.namespace).toBe(owner);
    expect(o.admits(owner, "x.example.com")).toBe(true);
  });

  it("finds a foreign wildcard over any number of labels, never the owner's own", () => {
    const o = ownership([
      ["*.example.com", a],
      ["*.b.example.com", b],
      ["deep.b.example.com", b],
    ]);
    expect(o.foreignWildcardOver("deep.b.example.com", "b")?.namespace).toBe("a");
    expect(o.foreignWildcardOver("x.example.com", "a")).toBeUndefined();
    expect([...o.ownedExactHosts()].map(([host]) => host)).toEqual(["deep.b.example.com"]);
  });

  it("admits any host only from the namespaces named", () => {
    const collector = new ClaimCollector();
    const o = new HostOwnership(collector, {
      enabled: true,
      recorded: [],
      anyHostNamespaces: new Set(["platform"]),
    });
    expect(o.admitsAnyHost("platform")).toBe(true);
    expect(o.admitsAnyHost("evil")).toBe(false);
  });
});

describe("patternCovers", () => {
  it.each([
    ["shop.example", "shop.example", true],
    ["*.shop.example", "api.shop.example", true],
    ["*.shop.example", "a.b.shop.example", true],
    ["*.shop.example", "*.shop.example", true],
    ["*.shop.example", "*.api.shop.example", true],
    ["*.shop.example", "shop.example", false],
    ["*.shop.example", "evilshop.example", false],
    ["shop.example", "api.shop.example", false],
  ])("%s covers %s: %s", (pattern, host, covered) => {
    expect(patternCovers(pattern, host)).toBe(covered);
  });
});
