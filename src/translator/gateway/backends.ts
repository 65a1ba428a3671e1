/**
 * Route backendRefs to Services: core Services only, another namespace only with a ReferenceGrant,
 * and the port must be one the Service has. A reference that fails is left out of its rule with the
 * reason the route's `ResolvedRefs` condition reports; the rest of the rule keeps working.
 */
import { GATEWAY_GROUP, type BackendRef } from "../../model/gateway-api.ts";
import type { Service, ServicePort } from "../../model/k8s.ts";
import type { ReferenceGrants } from "./grants.ts";

export type ResolvedBackend =
  | {
      readonly ok: true;
      readonly service: Service;
      readonly port: ServicePort;
      /** Absent means 1, as the API defines. */
      readonly weight: number;
    }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface BackendInputs {
  readonly grants: ReferenceGrants;
  readonly service: (namespace: string, name: string) => Service | undefined;
}

export function resolveBackendRef(
  route: { readonly kind: string; readonly metadata: { readonly namespace?: string } },
  ref: BackendRef,
  inputs: BackendInputs,
): ResolvedBackend {
  const routeNamespace = route.metadata.namespace ?? "";
  const namespace = ref.namespace ?? routeNamespace;
  const name = `${namespace}/${ref.name}`;
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service")
    return {
      ok: false,
      reason: "InvalidKind",
      message: `backendRef ${ref.group ?? ""}/${ref.kind ?? ""} ${name}: only core Services are supported`,
    };
  const permitted = inputs.grants.permits(
    { group: GATEWAY_GROUP, kind: route.kind, namespace: routeNamespace },
    { group: "", kind: "Service", namespace, name: ref.name },
  );
  if (!permitted)
    return {
      ok: false,
      reason: "RefNotPermitted",
      message: `Service ${name} is in another namespace and no ReferenceGrant there allows it`,
    };
  const service = inputs.service(namespace, ref.name);
  if (service === undefined)
    return { ok: false, reason: "BackendNotFound", message: `Service ${name} does not exist` };
  if (ref.port === undefined)
    return { ok: false, reason: "BackendNotFound", message: `backendRef ${name} names no port` };
  const port = service.spec.ports?.find(p => p.port === ref.port);
  if (port === undefined)
    return {
      ok: false,
      reason: "BackendNotFound",
      message: `Service ${name} has no port ${ref.port}`,
    };
  return { ok: true, service, port, weight: ref.weight ?? 1 };
}
