import type { ObjectRef } from "../model/object-ref.ts";
import type { KongConfig } from "../kong/types.ts";
import type { ListenerSupportOf } from "./gateway/listeners.ts";
import type { WriterFlavor } from "./kong-writer/index.ts";
import type { GatewayApiBundles } from "./gateway/versions.ts";
import type { ObjectBudgets } from "./budgets.ts";
import type { HostClaim, HostPattern, RecordedClaim } from "./ownership.ts";
import type {
  GatewayClassStatusSpec,
  GatewayStatusSpec,
  RouteStatusSpec,
} from "./gateway/conditions.ts";

/** Everything translation reads (defined with the model, where the store and the CLI build it). */
export type { Snapshot } from "../model/snapshot.ts";

export interface TranslateOptions {
  /** `--ingress-class`: the IngressClass name this controller serves. */
  readonly ingressClass: string;
  /** `--cluster-domain`: appended to Service DNS names for `ingress.kubernetes.io/service-upstream`. */
  readonly clusterDomain: string;
  /** `--enable-drain-support`: terminating endpoints become targets of weight 0 (KIC's flag). */
  readonly enableDrainSupport?: boolean;
  /** `--gateway-api-controller-name`: GatewayClasses naming it are ours (KIC's default when unset). */
  readonly gatewayControllerName?: string;
  /**
   * What Kong's listens say about Gateway listeners now (runtime/listener-side.ts); unset (offline):
   * every listener is assumed served. Asked once per translation, so one translation sees one answer.
   * The same object while the answer is unchanged: a patch of the last translation compares them by
   * identity (patch-base.ts), so a new object each time would leave every change to the full path.
   */
  readonly listenerSupport?: () => ListenerSupportOf;
  /**
   * Kong's `router_flavor` (runtime/listener-side.ts reads it from `GET /`; `--router-flavor` offline):
   * `expressions` gives expression routes. Unset: `traditional_compatible`, Kong's default. Asked once
   * per translation, like `listenerSupport`.
   */
  readonly routerFlavor?: () => WriterFlavor;
  /**
   * The plugins Kong has (runtime/listener-side.ts reads `plugins.available_on_server` of `GET /`; a
   * list in tests): a plugin object naming another one is a problem, as Kong would refuse the whole
   * config for it. Unset, or undefined while no Kong has said (offline): a plugin not among Kong's
   * bundled ones is sent with its config unchecked, for Kong to judge. Asked once per translation.
   */
  readonly kongPlugins?: readonly string[] | (() => readonly string[] | undefined);
  /**
   * The installed Gateway API CRDs' bundle versions (GatewayClass `SupportedVersion`), read by the
   * controller; unset (offline): the condition is not set. Asked once per translation; the same object
   * while unchanged, as `listenerSupport`.
   */
  readonly gatewayApiBundles?: () => GatewayApiBundles;
  /** `--host-ownership`: a host belongs to one namespace (ownership.ts); default on. */
  readonly hostOwnership?: boolean;
  /**
   * When each (host, namespace) claim was first observed: the controller's claim record, asked once
   * per translation (runtime/host-claims.ts). None offline: every claim is then observed now.
   */
  readonly hostClaims?: readonly RecordedClaim[] | (() => readonly RecordedClaim[]);
  /** `--any-host-namespaces`: who may route any host (host-less rules, default backends); unset: all. */
  readonly anyHostNamespaces?: readonly string[];
  /** `--host-namespaces`: which namespaces may claim the hosts a pattern covers (ownership.ts). */
  readonly hostNamespaces?: readonly HostPattern[];
  /** `--external-name-services`: `refuse` leaves out routes to ExternalName Services (external-names.ts). */
  readonly externalNameServices?: "allow" | "refuse";
  /** `--external-name-targets`: when set, the only names ExternalName Services may point at. */
  readonly externalNameTargets?: readonly string[];
  /** `--max-*-per-object`: budgets.ts; unset ones keep their defaults. */
  readonly objectBudgets?: Partial<ObjectBudgets>;
  /**
   * The time served certificates' dates are checked against (milliseconds since the epoch;
   * certificate-dates.ts): the controller's clock, asked once per translation. Unset: dates are not
   * checked. The translator never reads a clock of its own.
   */
  readonly now?: number | (() => number);
}

/** KIC's `--gateway-api-controller-name` default. */
export const DEFAULT_GATEWAY_CONTROLLER_NAME = "konghq.com/kic-gateway-controller";

/** No Gateway API object of ours. */
export const NO_GATEWAY_API_STATUSES: GatewayApiStatuses = Object.freeze({
  classes: [],
  gateways: [],
  routes: [],
});

/** The statuses translation decides for the Gateway API objects of ours. */
export interface GatewayApiStatuses {
  readonly classes: readonly GatewayClassStatusSpec[];
  readonly gateways: readonly GatewayStatusSpec[];
  /** Every route of every kind: one whose parents are not ours has none, so ours are removed. */
  readonly routes: readonly RouteStatusSpec[];
}

export const DEFAULT_TRANSLATE_OPTIONS: TranslateOptions = Object.freeze({
  ingressClass: "kong",
  clusterDomain: "",
});

/**
 * What happened to one input object.
 * - `translated`: it contributes to the config (problems, if any, name the parts that were dropped);
 * - `excluded`: it is ours but contributes nothing, because of `problems`;
 * - `ignored`: not ours or not used (another ingress class, an unreferenced Secret).
 */
export type ObjectOutcome = "translated" | "excluded" | "ignored";

export interface Problem {
  /** A stable, machine-readable reason, e.g. `ServiceNotFound`, `InvalidAnnotation`. */
  readonly reason: string;
  /** What is wrong and what to do about it, for an event or a condition message. */
  readonly message: string;
}

export interface ObjectResult {
  readonly ref: ObjectRef;
  /** The object's `metadata.generation` as translated: what its status reports as observed. */
  readonly generation?: number;
  readonly outcome: ObjectOutcome;
  readonly problems: readonly Problem[];
  /** Objects whose content this object's translation read (for the fallback dependency graph). */
  readonly dependsOn: readonly ObjectRef[];
  /** Conditions per parent (a route's Gateways), sorted by parent; absent when none was set. */
  readonly parents?: readonly ParentResult[];
}

/** A parent as a route names it (Gateway API `parentRefs`), with its defaults filled in. */
export interface ParentRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

/**
 * A condition as translation decides it, for the status writer to merge (which adds
 * `observedGeneration` and `lastTransitionTime`).
 */
export interface ParentCondition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

export interface ParentResult {
  readonly parentRef: ParentRef;
  /** One per type, sorted by type. */
  readonly conditions: readonly ParentCondition[];
}

export interface TranslationResult {
  readonly config: KongConfig;
  /** Statuses of GatewayClasses, Gateways and routes. */
  readonly gatewayApi: GatewayApiStatuses;
  /** One entry per input object, sorted by kind, namespace, name. */
  readonly results: readonly ObjectResult[];
  /** Who claims which host, and who routes any host: for the claim record and the metrics. */
  readonly tenancy?: TenancyReport;
  /**
   * The first instant after `now` at which this result would change with its snapshot unchanged (a
   * served certificate becomes valid, comes within the expiry warning or expires); the controller
   * translates again then. Absent when nothing of the kind lies ahead, or without `now`.
   */
  readonly revisitAt?: number;
}

export interface TenancyReport {
  /** Every (host, namespace) claim, sorted. */
  readonly claims: readonly HostClaim[];
  /** Namespaces whose routes match any host, sorted. */
  readonly anyHostNamespaces: readonly string[];
}
