/** Small helpers every Gateway API route sub-translator shares. */
import type { GatewayRoute } from "../../model/gateway-api.ts";
import type { ParentRef } from "../types.ts";
import type { EvaluatedRoute } from "./index.ts";

/** The results' parent reference of a route's parentRef (defaults filled in). */
export function parentRefOf(
  route: GatewayRoute,
  p: { readonly parentRef: EvaluatedRoute["parents"][number]["parentRef"] },
): ParentRef {
  const ref = p.parentRef;
  return {
    group: ref.group ?? "gateway.networking.k8s.io",
    kind: ref.kind ?? "Gateway",
    namespace: ref.namespace ?? route.metadata.namespace ?? "",
    name: ref.name,
    ...(ref.sectionName === undefined ? {} : { sectionName: ref.sectionName }),
    ...(ref.port === undefined ? {} : { port: ref.port }),
  };
}

/** `k8s-named-route-rule:<name>` for a named rule (KIC), else nothing. */
export function ruleTags(rule: { readonly name?: string }): readonly string[] {
  return rule.name === undefined || rule.name === "" ? [] : [`k8s-named-route-rule:${rule.name}`];
}
