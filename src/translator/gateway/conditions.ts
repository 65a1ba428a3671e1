/**
 * Gateway API status as data: the conditions translation decides for each GatewayClass, Gateway,
 * listener and route parent. Times and observedGeneration are the status writer's to add: a condition
 * here is what should hold, not when it started to.
 */
import type { ParentReference } from "../../model/gateway-api.ts";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface ConditionSpec {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export function condition(
  type: string,
  status: ConditionStatus,
  reason: string,
  message = "",
): ConditionSpec {
  return Object.freeze({ type, status, reason, message });
}

export interface RouteGroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface GatewayClassStatusSpec {
  readonly name: string;
  /** The object's generation the conditions describe. */
  readonly generation: number | undefined;
  readonly conditions: readonly ConditionSpec[];
  /** `status.supportedFeatures`, sorted by name. */
  readonly supportedFeatures: readonly string[];
}

export interface ListenerStatusSpec {
  readonly name: string;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly attachedRoutes: number;
  readonly conditions: readonly ConditionSpec[];
}

export interface GatewayStatusSpec {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number | undefined;
  readonly conditions: readonly ConditionSpec[];
  readonly listeners: readonly ListenerStatusSpec[];
}

export interface RouteParentStatusSpec {
  /** As the route wrote it, so the status entry matches the spec entry. */
  readonly parentRef: ParentReference;
  readonly conditions: readonly ConditionSpec[];
}

export interface RouteStatusSpec {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number | undefined;
  /** One entry per parentRef that names a Gateway of ours; others' entries are not ours to touch. */
  readonly parents: readonly RouteParentStatusSpec[];
}
