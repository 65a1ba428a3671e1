/**
 * Which listeners of our Gateways each route attaches to, parentRef by parentRef, and the route
 * parent's `Accepted` condition: `NoMatchingParent` when sectionName/port name no listener,
 * `NotAllowedByListeners` when the listeners exist but refuse the route's namespace or kind,
 * `NoMatchingListenerHostname` when no hostname is shared. parentRefs to anything else (another kind,
 * a Gateway that is not ours or not there) get no entry from us.
 */
import {
  GATEWAY_GROUP,
  type GatewayRoute,
  type LabelSelector,
  type ParentReference,
} from "../../model/gateway-api.ts";
import type { Namespace } from "../../model/k8s.ts";
import { condition, type ConditionSpec } from "./conditions.ts";
import { effectiveHostnames } from "./hostnames.ts";
import type { EvaluatedGateway, EvaluatedListener } from "./listeners.ts";

export interface Attachment {
  readonly gateway: EvaluatedGateway;
  readonly listener: EvaluatedListener;
  /** The hostnames the route serves there; undefined: any. */
  readonly hostnames: readonly string[] | undefined;
}

export interface ParentAttachment {
  readonly parentRef: ParentReference;
  readonly accepted: ConditionSpec;
  readonly attachments: readonly Attachment[];
}

export interface AttachInputs {
  /** Our Gateways by `namespace/name`. */
  readonly gateways: ReadonlyMap<string, EvaluatedGateway>;
  readonly namespace: (name: string) => Namespace | undefined;
}

function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key] ?? "");
    const ok =
      e.operator === "In"
        ? inValues
        : e.operator === "NotIn"
          ? !inValues
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

function namespaceAllowed(
  listener: EvaluatedListener,
  gatewayNamespace: string,
  routeNamespace: string,
  inputs: AttachInputs,
): boolean {
  const policy = listener.listener.allowedRoutes?.namespaces;
  switch (policy?.from ?? "Same") {
    case "All":
      return true;
    case "Same":
      return routeNamespace === gatewayNamespace;
    case "Selector": {
      const ns = inputs.namespace(routeNamespace);
      return (
        policy?.selector !== undefined &&
        ns !== undefined &&
        selects(policy.selector, ns.metadata.labels ?? {})
      );
    }
    default:
      return false;
  }
}

function routeHostnames(route: GatewayRoute): readonly string[] | undefined {
  return route.kind === "TCPRoute" || route.kind === "UDPRoute"
    ? undefined
    : (route.spec.hostnames ?? []);
}

function attachToParent(
  route: GatewayRoute,
  parentRef: ParentReference,
  gateway: EvaluatedGateway,
  inputs: AttachInputs,
): ParentAttachment {
  const routeNamespace = route.metadata.namespace ?? "";
  const gatewayNamespace = gateway.gateway.metadata.namespace ?? "";
  const named = gateway.listeners.filter(
    l =>
      (parentRef.sectionName === undefined || l.listener.name === parentRef.sectionName) &&
      (parentRef.port === undefined || l.listener.port === parentRef.port),
  );
  const refuse = (reason: string, message: string): ParentAttachment => ({
    parentRef,
    accepted: condition("Accepted", "False", reason, message),
    attachments: [],
  });
  if (named.length === 0)
    return refuse("NoMatchingParent", "no listener matches the parentRef's sectionName and port");
  const allowed = named.filter(
    l =>
      namespaceAllowed(l, gatewayNamespace, routeNamespace, inputs) &&
      l.supportedKinds.some(k => k.group === GATEWAY_GROUP && k.kind === route.kind),
  );
  if (allowed.length === 0)
    return refuse(
      "NotAllowedByListeners",
      `no listener allows a ${route.kind} from namespace ${routeNamespace}`,
    );
  const wanted = routeHostnames(route);
  const attachments: Attachment[] = [];
  for (const listener of allowed) {
    const hostnames =
      wanted === undefined ? undefined : effectiveHostnames(listener.listener.hostname, wanted);
    if (hostnames?.length !== 0) attachments.push({ gateway, listener, hostnames });
  }
  if (attachments.length === 0)
    return refuse(
      "NoMatchingListenerHostname",
      "no listener hostname matches the route's hostnames",
    );
  return { parentRef, accepted: condition("Accepted", "True", "Accepted"), attachments };
}

/** The parentRefs of a route that name a Gateway of ours, each with where it attaches. */
export function attachRoute(route: GatewayRoute, inputs: AttachInputs): ParentAttachment[] {
  const out: ParentAttachment[] = [];
  for (const parentRef of route.spec.parentRefs ?? []) {
    if ((parentRef.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP) continue;
    if ((parentRef.kind ?? "Gateway") !== "Gateway") continue;
    const namespace = parentRef.namespace ?? route.metadata.namespace ?? "";
    const gateway = inputs.gateways.get(`${namespace}/${parentRef.name}`);
    if (gateway !== undefined) out.push(attachToParent(route, parentRef, gateway, inputs));
  }
  return out;
}
