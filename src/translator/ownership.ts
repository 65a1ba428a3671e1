/**
 * Host ownership for clusters shared by many teams (README "Running for many teams"). A host, exact or
 * wildcard, belongs to one namespace: of the namespaces whose objects claim it now (Ingress rule hosts,
 * `konghq.com/host-aliases`, TLS hosts, HTTPRoute and GRPCRoute hostnames), the one whose claim was
 * observed first. When claims were observed comes from the controller's claim record (runtime/
 * host-claims.ts), which the objects' authors cannot edit; claims the record does not hold yet were
 * observed now, after every recorded one, and among themselves the oldest object goes first. An edit
 * never moves a claim back in time, unlike `creationTimestamp`, which an old object keeps for ever.
 *
 * Objects of other namespaces are not routed for an owned host and are told why; within the owner's
 * namespace the per-path rules of conflicts.ts apply. Routes that name no host match every host, so
 * they (and default backends) are allowed only from the namespaces `--any-host-namespaces` names.
 */
import type { KongProtocol } from "../kong/types.ts";
import type { KubeObject } from "../model/k8s.ts";
import { compareStrings } from "../util/compare.ts";
import type { RouteEmission } from "./ir/types.ts";
import type { ResultSink } from "./results.ts";

/** A namespace's objects claim a host (lower case; `*.example.com` for a wildcard). */
export interface HostClaim {
  readonly host: string;
  readonly namespace: string;
}

/** A claim as the record holds it: when the controller first observed it (RFC 3339, UTC). */
export interface RecordedClaim extends HostClaim {
  readonly since: string;
}

export interface OwnershipPolicy {
  /** Off: every namespace may route every host (KIC's behaviour); per-path rules decide alone. */
  readonly enabled: boolean;
  readonly recorded: readonly RecordedClaim[];
  /** Namespaces that may route any host (host-less rules, default backends); undefined: every one. */
  readonly anyHostNamespaces: ReadonlySet<string> | undefined;
  /**
   * `--host-namespaces`: checked first. A host one of these patterns covers (exact, or `*.example.com`
   * for every name under a domain) may be claimed only by the namespaces listed for a pattern covering it.
   */
  readonly allowList?: readonly HostPattern[];
}

export interface HostPattern {
  readonly namespace: string;
  readonly pattern: string;
}

/** Whether `pattern` covers `host` (a host, or a wildcard host under the pattern's domain). */
export function patternCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (p === host) return true;
  return p.startsWith("*.") && host.length > p.length - 1 && host.endsWith(p.slice(1));
}

/** Why a namespace may not use a host: another namespace owns it, or the allow-list does not name it. */
export type HostRefusal = { readonly owner: HostOwner } | { readonly listed: readonly string[] };

/** A host's owner: its namespace and the oldest of its objects that claim the host. */
export interface HostOwner {
  readonly namespace: string;
  readonly object: KubeObject;
}

interface Claimant {
  readonly object: KubeObject;
  /** Its `ageKey`, read only once another object claims the same host (most hosts have one). */
  ageKey: string | undefined;
}

/** Creation time, then namespace/name: the order among claims observed at the same time. */
export function ageKeyOf(obj: KubeObject): string {
  const m = obj.metadata;
  return `${m.creationTimestamp ?? ""}\u0000${m.namespace ?? ""}/${m.name}`;
}

/** Collects who claims which host, one entry per (host, namespace): its oldest object. */
export class ClaimCollector {
  readonly #byHost = new Map<string, Map<string, Claimant>>();
  readonly #ageKey: (obj: KubeObject) => string;

  /** `ageKey` gives `ageKeyOf`'s string, perhaps remembered per object (memo.ts). */
  constructor(ageKey: (obj: KubeObject) => string = ageKeyOf) {
    this.#ageKey = ageKey;
  }

  add(host: string, obj: KubeObject): void {
    if (host === "") return;
    const key = host.toLowerCase();
    const namespace = obj.metadata.namespace ?? "";
    let byNamespace = this.#byHost.get(key);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      this.#byHost.set(key, byNamespace);
    }
    const current = byNamespace.get(namespace);
    if (current === undefined) {
      byNamespace.set(namespace, { object: obj, ageKey: undefined });
      return;
    }
    // An Ingress names its host in a rule and again in its TLS section.
    if (current.object === obj) return;
    const ageKey = this.#ageKey(obj);
    if (compareStrings(ageKey, this.ageOf(current)) < 0)
      byNamespace.set(namespace, { object: obj, ageKey });
  }

  /** The claimant's `ageKey`, read once. */
  ageOf(claimant: Claimant): string {
    claimant.ageKey ??= this.#ageKey(claimant.object);
    return claimant.ageKey;
  }

  /** Every claimed host with its claimants by namespace. */
  entries(): IterableIterator<[string, ReadonlyMap<string, Claimant>]> {
    return this.#byHost.entries();
  }
}

/** After every recorded time: a claim the record does not hold yet was observed now. */
const UNRECORDED = "\uffff";

/** The owners of every claimed host, decided once per translation. */
export class HostOwnership {
  readonly #policy: OwnershipPolicy;
  readonly #owners = new Map<string, HostOwner>();
  readonly #claims: HostClaim[] = [];
  readonly #anyHostUsers = new Set<string>();
  /** Whether some owned host is a wildcard (else no owner needs shielding from one). */
  #ownedWildcards = false;

  constructor(collector: ClaimCollector, policy: OwnershipPolicy) {
    this.#policy = policy;
    const since = new Map<string, string>();
    for (const r of policy.recorded) since.set(`${r.host}\u0000${r.namespace}`, r.since);
    for (const [host, claimants] of collector.entries()) {
      let best: { namespace: string; claimant: Claimant; since: string } | undefined;
      const listed = this.#listed(host);
      for (const [namespace, claimant] of claimants) {
        if (listed !== undefined && !listed.includes(namespace)) continue;
        this.#claims.push({ host, namespace });
        const at =
          since.size === 0 ? UNRECORDED : (since.get(`${host}\u0000${namespace}`) ?? UNRECORDED);
        if (best === undefined || isEarlier({ since: at, claimant }, best, collector))
          best = { namespace, claimant, since: at };
      }
      if (best === undefined) continue;
      this.#owners.set(host, { namespace: best.namespace, object: best.claimant.object });
      if (host.startsWith("*.")) this.#ownedWildcards = true;
    }
  }

  /** The host's owner, if ownership is on and someone claims it. */
  ownerOf(host: string): HostOwner | undefined {
    return this.#policy.enabled ? this.#owners.get(host.toLowerCase()) : undefined;
  }

  /** Whether objects of `namespace` may route `host`. */
  admits(namespace: string, host: string): boolean {
    return this.refusal(namespace, host) === undefined;
  }

  /** Why objects of `namespace` may not use `host`, or undefined when they may. */
  refusal(namespace: string, host: string): HostRefusal | undefined {
    const key = host.toLowerCase();
    const listed = this.#listed(key);
    if (listed !== undefined && !listed.includes(namespace)) return { listed };
    const owner = this.#policy.enabled ? this.#owners.get(key) : undefined;
    return owner === undefined || owner.namespace === namespace ? undefined : { owner };
  }

  /** The namespaces the allow-list names for a host, or undefined when no pattern covers it. */
  #listed(host: string): readonly string[] | undefined {
    const list = this.#policy.allowList;
    if (list === undefined || list.length === 0) return undefined;
    let listed: string[] | undefined;
    for (const entry of list)
      if (patternCovers(entry.pattern, host)) (listed ??= []).push(entry.namespace);
    return listed;
  }

  /** Whether objects of `namespace` may route every host (host-less rules, default backends). */
  admitsAnyHost(namespace: string): boolean {
    const allowed = this.#policy.anyHostNamespaces;
    return allowed === undefined || allowed.has(namespace);
  }

  /** Notes that a namespace's objects route any host (for the metric and the warning). */
  usedAnyHost(namespace: string): void {
    this.#anyHostUsers.add(namespace);
  }

  /** Every (host, namespace) claim of this translation, sorted: what the record keeps. */
  claims(): readonly HostClaim[] {
    return [...this.#claims].sort(
      (a, b) => compareStrings(a.host, b.host) || compareStrings(a.namespace, b.namespace),
    );
  }

  /** The namespaces whose routes match any host, sorted. */
  anyHostNamespaces(): readonly string[] {
    return [...this.#anyHostUsers].sort(compareStrings);
  }

  /** Owned exact hosts, each with its owner. */
  *ownedExactHosts(): Generator<[string, HostOwner]> {
    if (!this.#policy.enabled) return;
    for (const entry of this.#owners) if (!entry[0].startsWith("*.")) yield entry;
  }

  /** Whether some owned host is a wildcard: only then can one shadow another namespace's host. */
  ownsWildcards(): boolean {
    return this.#policy.enabled && this.#ownedWildcards;
  }

  /** Every owned wildcard host that matches `host` and belongs to another namespace. */
  foreignWildcardsOver(host: string, namespace: string): string[] {
    const found: string[] = [];
    for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
      const wildcard = `*${host.slice(dot)}`;
      const owner = this.#owners.get(wildcard);
      if (owner !== undefined && owner.namespace !== namespace) found.push(wildcard);
    }
    return found;
  }

  /** The owner of a wildcard host that matches `host` and belongs to another namespace, if any. */
  foreignWildcardOver(host: string, namespace: string): HostOwner | undefined {
    // Kong's `*.example.com` matches any number of labels in front of `example.com`.
    let dot = host.indexOf(".");
    while (dot !== -1) {
      const owner = this.#owners.get(`*${host.slice(dot)}`);
      if (owner !== undefined && owner.namespace !== namespace) return owner;
      dot = host.indexOf(".", dot + 1);
    }
    return undefined;
  }
}

function isEarlier(
  a: { since: string; claimant: Claimant },
  b: { since: string; claimant: Claimant },
  collector: ClaimCollector,
): boolean {
  return (
    (compareStrings(a.since, b.since) ||
      compareStrings(collector.ageOf(a.claimant), collector.ageOf(b.claimant))) < 0
  );
}

function objectText(obj: KubeObject): string {
  return `${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}

/** The problem an object gets for a host another namespace owns, or the allow-list keeps from it. */
export function reportForeignHost(
  results: ResultSink,
  obj: KubeObject,
  p: { host: string; refusal: HostRefusal; what: string },
): void {
  if ("listed" in p.refusal) {
    results.problem(
      obj,
      "HostNotAllowed",
      `host "${p.host}" may only be used by namespace(s) ${p.refusal.listed.join(", ")} (--host-namespaces); ${objectText(obj)} ${p.what}`,
    );
    return;
  }
  results.problem(
    obj,
    "HostOwnedByOtherNamespace",
    `host "${p.host}" belongs to namespace ${p.refusal.owner.namespace}, whose objects claimed it first; ${objectText(obj)} ${p.what}`,
  );
}

/** The problem an object gets for routing any host from a namespace that may not. */
export function reportAnyHost(results: ResultSink, obj: KubeObject, what: string): void {
  results.problem(
    obj,
    "AnyHostNotAllowed",
    `${what} matches every host, which only the namespaces named by --any-host-namespaces may route; it is not routed`,
  );
}

/**
 * The emissions whose routes the ownership admits: a route keeps only the hosts its namespace owns
 * (and is dropped when none is left); a route without hosts only from a namespace allowed any host.
 * Stream routes (Gateway listeners decide their ports and SNIs) pass as they are.
 */
export function admitRoutes<T extends RouteEmission>(
  emissions: readonly T[],
  ownership: HostOwnership,
  results: ResultSink,
): T[] {
  const admitted: T[] = [];
  for (const e of emissions) {
    const route = e.route;
    if (route.kind !== "http") {
      admitted.push(e);
      continue;
    }
    const obj = route.origin.object;
    const namespace = obj.metadata.namespace ?? "";
    const hosts = route.match.hosts;
    if (hosts.length === 0) {
      if (!ownership.admitsAnyHost(namespace)) {
        reportAnyHost(results, obj, `route ${route.name}`);
        continue;
      }
      ownership.usedAnyHost(namespace);
      admitted.push(e);
      continue;
    }
    const kept = hosts.filter(host => {
      const refusal = ownership.refusal(namespace, host);
      if (refusal === undefined) return true;
      reportForeignHost(results, obj, { host, refusal, what: "is not routed for it" });
      return false;
    });
    if (kept.length === hosts.length) admitted.push(e);
    else if (kept.length > 0)
      admitted.push({ ...e, route: { ...route, match: { ...route.match, hosts: kept } } });
  }
  return admitted;
}

const ROOT_PREFIX = Object.freeze({ kind: "prefix", value: "/" } as const);

/** What a route without `protocols` serves: Kong's default. */
const DEFAULT_PROTOCOLS: readonly KongProtocol[] = ["http", "https"];

/** Per host, the protocols on which a route matches its every request at `/` (no other criteria). */
function rootProtocols(emissions: readonly RouteEmission[]): Map<string, Set<KongProtocol>> {
  const served = new Map<string, Set<KongProtocol>>();
  for (const e of emissions) {
    const m = e.route.kind === "http" ? e.route.match : undefined;
    if (m === undefined || m.methods !== undefined || m.headers !== undefined) continue;
    if (m.snis !== undefined) continue;
    if (!m.paths.some(p => p.kind === "prefix" && p.value === "/")) continue;
    for (const host of m.hosts) {
      const key = host.toLowerCase();
      const protocols = served.get(key) ?? new Set();
      for (const protocol of m.protocols ?? DEFAULT_PROTOCOLS) protocols.add(protocol);
      served.set(key, protocols);
    }
  }
  return served;
}

/**
 * For every owned exact host that another namespace's wildcard would otherwise catch (a path the owner
 * does not route, or the owner's backends all gone), a route on that host alone that answers 404:
 * Kong prefers a plain host to a wildcard, so the wildcard never sees the owner's requests. It must
 * also be the last of the owner's own routes on the host: a root route of the owner that serves only
 * some protocols would tie with it, so it takes only the protocols no such route serves (under the
 * expressions router the writer ranks it below the owner's routes, `hostCatchAll`).
 */
export function ownerCatchAlls(
  ownership: HostOwnership,
  emissions: readonly RouteEmission[],
): RouteEmission[] {
  // The common case, and a pass over every route saved: no wildcard host has an owner.
  if (!ownership.ownsWildcards()) return [];
  const servedAtRoot = rootProtocols(emissions);
  const catchAlls: RouteEmission[] = [];
  for (const [host, owner] of ownership.ownedExactHosts()) {
    const served = servedAtRoot.get(host);
    const protocols = DEFAULT_PROTOCOLS.filter(p => served?.has(p) !== true);
    if (protocols.length === 0) continue;
    if (ownership.foreignWildcardOver(host, owner.namespace) === undefined) continue;
    const origin = { object: owner.object };
    catchAlls.push({
      route: {
        kind: "http",
        name: `${owner.namespace}.host-catch-all.${host}`,
        origin,
        match: {
          hosts: [host],
          paths: [ROOT_PREFIX],
          ...(protocols.length < DEFAULT_PROTOCOLS.length ? { protocols } : {}),
        },
        settings: {},
        filters: [{ kind: "respond", statusCode: 404, message: "no route matched this path" }],
        hostCatchAll: true,
      },
      service: {
        name: `${owner.namespace}.host-catch-all`,
        upstreamName: `host-catch-all.${owner.namespace}.svc`,
        origin,
        backends: [],
      },
    });
  }
  return catchAlls;
}

/**
 * Ingress routes on a wildcard host, each told the exact hosts under it that other namespaces own
 * (`exceptHosts`). Under the expressions router KIC's encoding ranks every Ingress route above every
 * HTTPRoute route, so without them a wildcard Ingress would take an owned host served by HTTPRoutes
 * alone, and no catch-all priority could stop it.
 */
export function exceptOwnedHosts<T extends RouteEmission>(
  ownership: HostOwnership,
  emissions: readonly T[],
): readonly T[] {
  if (!ownership.ownsWildcards()) return emissions;
  const excepted = new Map<string, string[]>();
  for (const [host, owner] of ownership.ownedExactHosts())
    for (const wildcard of ownership.foreignWildcardsOver(host, owner.namespace))
      if (excepted.has(wildcard)) excepted.get(wildcard)?.push(host);
      else excepted.set(wildcard, [host]);
  if (excepted.size === 0) return emissions;
  return emissions.map(e => {
    if (e.route.kind !== "http" || e.route.place !== undefined) return e;
    const hosts = new Set(e.route.match.hosts.flatMap(h => excepted.get(h.toLowerCase()) ?? []));
    if (hosts.size === 0) return e;
    const match = { ...e.route.match, exceptHosts: [...hosts].sort(compareStrings) };
    return { ...e, route: { ...e.route, match } };
  });
}
