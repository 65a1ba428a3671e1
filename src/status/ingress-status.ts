/** Ingress `status.loadBalancer` as a status mutator: one list, ours alone, replaced whole. */
import type { ObservedStatus } from "./observed.ts";
import { sameLoadBalancer, type LoadBalancerIngress } from "./ingress-address.ts";
import type { IngressDesiredStatus, StatusMutator } from "./mutator.ts";
import { isRecord } from "../util/is-record.ts";

type Json = Record<string, unknown>;

/** An entry as someone may have written it: with ports, which we never set. */
type ObservedEntry = LoadBalancerIngress & { readonly ports?: unknown };

function observedEntry(e: Json): ObservedEntry {
  const { ip, hostname, ports } = e;
  return {
    ...(typeof ip === "string" ? { ip } : {}),
    ...(typeof hostname === "string" ? { hostname } : {}),
    // Kept so that a list someone else wrote with ports does not compare equal to ours.
    ...(ports === undefined ? {} : { ports }),
  };
}

/** The `status.loadBalancer.ingress` list the cluster shows; absent reads as empty. */
export function observedLoadBalancer(status: unknown): ObservedEntry[] {
  const loadBalancer = isRecord(status) ? status["loadBalancer"] : undefined;
  const ingress = isRecord(loadBalancer) ? loadBalancer["ingress"] : undefined;
  if (!Array.isArray(ingress)) return [];
  return ingress.map((e: unknown) => (isRecord(e) ? observedEntry(e) : { hostname: String(e) }));
}

export const ingressStatusMutator: StatusMutator<IngressDesiredStatus> = {
  statusPath: d =>
    `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(d.namespace)}` +
    `/ingresses/${encodeURIComponent(d.name)}/status`,
  satisfied: (desired: IngressDesiredStatus, observed: ObservedStatus) =>
    sameLoadBalancer(observedLoadBalancer(observed.status), desired.loadBalancer),
  same: (a, b) => sameLoadBalancer(a.loadBalancer, b.loadBalancer),
  // A merge patch replaces a list whole, so entries (and ports) someone else wrote go away.
  patch: desired => ({
    status: { loadBalancer: { ingress: desired.loadBalancer.map(e => ({ ...e })) } },
  }),
};
