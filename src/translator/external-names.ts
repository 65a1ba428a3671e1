/**
 * ExternalName Services point Kong at any DNS name or address the Service's author writes: another
 * namespace's Service (`db.other.svc`), or a cloud metadata endpoint (`169.254.169.254`). In a shared
 * cluster `--external-name-services=refuse` refuses them, and `--external-name-targets` allows only
 * the names listed (exact, or `*.example.com` for every name under a domain). A route with a refused
 * backend is not routed, and both its object and the Service are told.
 */
import type { Service } from "../model/k8s.ts";
import type { RouteEmission } from "./ir/types.ts";
import type { ResultSink } from "./results.ts";
import type { TranslateOptions } from "./types.ts";

type Policy = Pick<TranslateOptions, "externalNameServices" | "externalNameTargets">;

/** Why the Service may not be a backend, or undefined when it may. */
function refusal(service: Service, policy: Policy): string | undefined {
  if (service.spec.type !== "ExternalName") return undefined;
  if (policy.externalNameServices === "refuse")
    return "ExternalName Services are refused (--external-name-services=refuse)";
  const targets = policy.externalNameTargets;
  if (targets === undefined) return undefined;
  const target = (service.spec.externalName ?? "").toLowerCase().replace(/\.$/, "");
  const allowed = targets.some(pattern => {
    const p = pattern.toLowerCase();
    return p.startsWith("*.")
      ? target.endsWith(p.slice(1)) && target.length > p.length - 1
      : p === target;
  });
  return allowed ? undefined : `its target "${target}" is not among --external-name-targets`;
}

export function admitExternalNames<T extends RouteEmission>(
  emissions: T[],
  policy: Policy,
  results: ResultSink,
): T[] {
  if (policy.externalNameServices !== "refuse" && policy.externalNameTargets === undefined)
    return emissions;
  return emissions.filter(e => {
    for (const backend of e.service.backends) {
      const why = refusal(backend.service, policy);
      if (why === undefined) continue;
      const id = `${backend.service.metadata.namespace ?? ""}/${backend.service.metadata.name}`;
      results.problem(backend.service, "ExternalNameRefused", `Service ${id} is not used: ${why}`);
      results.problem(
        e.route.origin.object,
        "ExternalNameRefused",
        `route ${e.route.name} is not routed: its backend Service ${id} is an ExternalName Service and ${why}`,
      );
      return false;
    }
    return true;
  });
}
