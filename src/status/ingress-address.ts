import { isIP } from "node:net";
import type { Service } from "../model/k8s.ts";
import { refKey } from "../model/object-ref.ts";
import { stableStringify } from "../util/stable-json.ts";

/** One entry of an Ingress's `status.loadBalancer.ingress`. We never set ports (KIC does not either). */
export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
}

/** The addresses to publish, or why there are none yet. */
export type PublishAddresses =
  | { readonly kind: "ready"; readonly ingress: readonly LoadBalancerIngress[] }
  | { readonly kind: "pending"; readonly reason: string };

/** `10.0.0.1` becomes `{ ip }`, anything else `{ hostname }`. */
export function toLoadBalancerIngress(address: string): LoadBalancerIngress {
  return isIP(address) === 0 ? { hostname: address } : { ip: address };
}

function dedupe(entries: readonly LoadBalancerIngress[]): LoadBalancerIngress[] {
  const seen = new Set<string>();
  return entries.filter(e => {
    const key = `${e.ip ?? ""}|${e.hostname ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fromLoadBalancer(service: Service): LoadBalancerIngress[] {
  const entries = service.status?.loadBalancer?.ingress ?? [];
  return entries.flatMap(e => {
    const out: LoadBalancerIngress[] = [];
    if (e.ip !== undefined && e.ip !== "") out.push({ ip: e.ip });
    if (e.hostname !== undefined && e.hostname !== "") out.push({ hostname: e.hostname });
    return out;
  });
}

function fromClusterIPs(service: Service): LoadBalancerIngress[] {
  const ips =
    service.spec.clusterIPs ??
    (service.spec.clusterIP === undefined ? [] : [service.spec.clusterIP]);
  return ips.filter(ip => ip !== "" && ip !== "None").map(ip => ({ ip }));
}

export interface ResolvePublishAddressesOptions {
  /** --publish-status-address: when non-empty, used as is and the Service is not consulted. */
  readonly statusAddresses: readonly string[];
  /** --publish-service, when set. */
  readonly publishService?: { readonly namespace: string; readonly name: string };
  /** The current publish Service object, if it exists. */
  readonly service?: Service;
}

/**
 * KIC's address finder (kic-conventions.md §5.1): --publish-status-address wins; otherwise a
 * LoadBalancer Service gives every ingress IP and hostname, and any other type its cluster IPs.
 */
export function resolvePublishAddresses(opts: ResolvePublishAddressesOptions): PublishAddresses {
  if (opts.statusAddresses.length > 0) {
    return { kind: "ready", ingress: dedupe(opts.statusAddresses.map(toLoadBalancerIngress)) };
  }
  const ref = opts.publishService;
  if (ref === undefined) return { kind: "pending", reason: "no publish address is configured" };
  const name = refKey({ kind: "Service", ...ref });
  const service = opts.service;
  if (service === undefined)
    return { kind: "pending", reason: `publish service ${name} not found` };
  const ingress = dedupe(
    service.spec.type === "LoadBalancer" ? fromLoadBalancer(service) : fromClusterIPs(service),
  );
  if (ingress.length === 0) {
    return {
      kind: "pending",
      reason: `waiting for addresses to be provisioned for publish service ${name}`,
    };
  }
  return { kind: "ready", ingress };
}

/** Deep equality of two load-balancer lists, ignoring absent fields (order matters, as in KIC). */
export function sameLoadBalancer(
  a: readonly LoadBalancerIngress[],
  b: readonly LoadBalancerIngress[],
): boolean {
  // Every desired status of one push shares the publish addresses' list: no serialising per Ingress.
  return a === b || stableStringify(a) === stableStringify(b);
}
