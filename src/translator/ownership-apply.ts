/**
 * Host ownership applied to one translation: the Ingress and Gateway API routes are built first (their
 * claims collected), then the owners are decided, the routes admitted, owners' hosts shielded from
 * foreign wildcards, and only then are Ingress TLS hosts bound and per-path conflicts resolved.
 */
import type { Ingress, KubeObject } from "../model/k8s.ts";
import type { PathClaims, Share } from "./conflicts.ts";
import { DEFAULT_OBJECT_BUDGETS, withinBudgets, type ObjectBudgets } from "./budgets.ts";
import { admitExternalNames } from "./external-names.ts";
import type { RouteEmission } from "./ir/types.ts";
import { claimIngressHosts, finishIngresses, type IngressRoutes } from "./ingresses.ts";
import type { IngressRoute } from "./ingress.ts";
import type { TranslationMemo } from "./memo.ts";
import type { ClaimCollector, RecordedClaim } from "./ownership.ts";
import {
  admitRoutes,
  exceptOwnedHosts,
  HostOwnership,
  ownerCatchAlls,
  type OwnershipPolicy,
} from "./ownership.ts";
import type { ObjectResults, ResultSink } from "./results.ts";
import type { CertificateCollector } from "./tls.ts";
import type { ParentCondition, ParentRef, TenancyReport, TranslateOptions } from "./types.ts";

export function objectBudgets(options: TranslateOptions): ObjectBudgets {
  return { ...DEFAULT_OBJECT_BUDGETS, ...options.objectBudgets };
}

/** `recorded`: the claim record as the translation read it (`readInputs`), asked once. */
export function ownershipPolicy(
  options: TranslateOptions,
  recorded: readonly RecordedClaim[],
): OwnershipPolicy {
  return {
    enabled: options.hostOwnership ?? true,
    recorded,
    anyHostNamespaces:
      options.anyHostNamespaces === undefined ? undefined : new Set(options.anyHostNamespaces),
    ...(options.hostNamespaces === undefined ? {} : { allowList: options.hostNamespaces }),
  };
}

/**
 * A sink that passes everything on except `translated`: a Gateway API route is translated only if
 * some of its routes survive ownership and Kong's router (`markServed`), decided after every route
 * kind has been built.
 */
export class TranslatedHeldBack implements ResultSink {
  readonly #inner: ResultSink;

  constructor(inner: ResultSink) {
    this.#inner = inner;
  }

  translated(): void {
    // Decided by `applyOwnership` from the routes that survive.
  }

  excluded(obj: KubeObject): void {
    this.#inner.excluded(obj);
  }

  problem(obj: KubeObject, reason: string, message: string): void {
    this.#inner.problem(obj, reason, message);
  }

  dependsOn(obj: KubeObject, dependency: KubeObject): void {
    this.#inner.dependsOn(obj, dependency);
  }

  parentCondition(obj: KubeObject, parent: ParentRef, condition: ParentCondition): void {
    this.#inner.parentCondition(obj, parent, condition);
  }

  for(obj: KubeObject): ObjectResults {
    const inner = this.#inner.for(obj);
    return {
      translated: () => undefined,
      excluded: () => {
        inner.excluded();
      },
      problem: (reason, message) => {
        inner.problem(reason, message);
      },
      dependsOn: dependency => {
        inner.dependsOn(dependency);
      },
      parent: ref => inner.parent(ref),
    };
  }
}

export interface OwnershipInput {
  readonly ingress: IngressRoutes;
  readonly gatewayRoutes: readonly RouteEmission[];
  readonly claims: ClaimCollector;
  readonly policy: OwnershipPolicy;
  readonly certificates: CertificateCollector;
  readonly results: ResultSink;
  readonly memo: TranslationMemo;
  /** Its ExternalName policy. */
  readonly options: TranslateOptions;
}

export interface OwnedRoutes {
  readonly emissions: readonly RouteEmission[];
  /** The Ingresses' and Gateway API routes' own emissions (not the owners' catch-alls): who is served. */
  readonly routed: readonly RouteEmission[];
  /** The Ingresses served by another's identical route (`markServed` says whether it is served). */
  readonly sharing: readonly Share[];
  readonly tenancy: TenancyReport;
  /** Who owns which host: a patch of Ingress-only changes that keep every claim asks it again (patch.ts). */
  readonly ownership: HostOwnership;
  /** The Ingress routes' path claims, as `dropConflictingPaths` left them (patch.ts). */
  readonly pathClaims: PathClaims;
}

/** The Ingresses of `all` none of whose routes are in `kept`. */
function refusedIngresses(
  all: readonly IngressRoute[],
  kept: readonly IngressRoute[],
): ReadonlySet<Ingress> {
  if (kept.length === all.length) return new Set();
  const keptIngresses = new Set(kept.map(r => r.ingress));
  return new Set(all.map(r => r.ingress).filter(i => !keptIngresses.has(i)));
}

export function applyOwnership(input: OwnershipInput): OwnedRoutes {
  const { results } = input;
  const budgets = objectBudgets(input.options);
  const ingressEmissions = withinBudgets(input.ingress.routes, budgets, results);
  // An Ingress over a budget serves nothing: it claims no host and binds no TLS host.
  const overBudget = refusedIngresses(input.ingress.routes, ingressEmissions);
  claimIngressHosts(input.claims, input.ingress.claimants, overBudget);
  const gatewayEmissions = withinBudgets(input.gatewayRoutes, budgets, results);
  for (const e of gatewayEmissions) {
    if (e.route.kind === "http")
      for (const host of e.route.match.hosts) input.claims.add(host, e.route.origin.object);
  }
  const ownership = new HostOwnership(input.claims, input.policy);
  const admitted = <T extends RouteEmission>(routes: readonly T[]): T[] =>
    admitExternalNames(admitRoutes(routes, ownership, results), input.options, results);
  const admittedIngress: IngressRoute[] = admitted(ingressEmissions);
  const ingress = finishIngresses(input, {
    ingresses: input.ingress.ingresses,
    leftOut:
      overBudget.size === 0
        ? input.ingress.leftOut
        : new Set([...input.ingress.leftOut, ...overBudget]),
    admitted: admittedIngress,
    streams:
      overBudget.size === 0
        ? input.ingress.streams
        : input.ingress.streams.filter(r => !overBudget.has(r.ingress)),
    ownership,
  });
  const routed = exceptOwnedHosts(ownership, [...ingress.routes, ...admitted(gatewayEmissions)]);
  return {
    emissions: [...routed, ...ownerCatchAlls(ownership, routed)],
    routed,
    sharing: ingress.sharing,
    tenancy: { claims: ownership.claims(), anyHostNamespaces: ownership.anyHostNamespaces() },
    ownership,
    pathClaims: ingress.pathClaims,
  };
}
