/**
 * Pure predicates deciding what the store must keep and which changes matter: is this Ingress ours,
 * which Services and Secrets does it read, is this Secret labelled for us.
 */
import type { BackendRef, Gateway, GatewayRoute, HTTPRouteFilter } from "../model/gateway-api.ts";
import type { EndpointSlice, Ingress, IngressClass, Secret, Service } from "../model/k8s.ts";
import { SERVICE_NAME_LABEL } from "../model/k8s.ts";
import { matchIngressClass } from "../translator/ingress-class.ts";

/** Secrets carrying either label are read by later translation stages whether or not anything names them. */
export const CA_CERT_LABEL = "konghq.com/ca-cert";
export const CREDENTIAL_LABEL = "konghq.com/credential";

/** `namespace/name`; cluster-scoped objects use the empty namespace. */
export function nameKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Whether translation would take this Ingress as ours (the translator's own rule, reused). */
export function isOurIngress(
  ingress: Ingress,
  classes: ReadonlyMap<string, IngressClass>,
  className: string,
): boolean {
  return matchIngressClass(ingress, classes, className).ours;
}

/** Objects one of our objects reads, as `namespace/name` keys. */
export interface References {
  readonly services: readonly string[];
  readonly secrets: readonly string[];
  /** Kong objects (plugins, upstream policies) named, as {@link kongKey}s. */
  readonly kong?: readonly string[];
  /** ConfigMaps named (CA certificates), as `namespace/name` keys. */
  readonly configMaps?: readonly string[];
}

/** The Services (rule and default backends) and TLS Secrets an Ingress names, in its namespace. */
export function ingressReferences(ingress: Ingress): References {
  const namespace = ingress.metadata.namespace ?? "";
  const services = new Set<string>();
  const secrets = new Set<string>();
  const addBackend = (name: string | undefined): void => {
    if (name !== undefined && name !== "") services.add(nameKey(namespace, name));
  };
  addBackend(ingress.spec.defaultBackend?.service?.name);
  for (const rule of ingress.spec.rules ?? []) {
    for (const path of rule.http?.paths ?? []) addBackend(path.backend.service?.name);
  }
  for (const tls of ingress.spec.tls ?? []) {
    if (tls.secretName !== undefined && tls.secretName !== "")
      secrets.add(nameKey(namespace, tls.secretName));
  }
  return { services: [...services], secrets: [...secrets] };
}

/**
 * The Secrets and ConfigMaps a Service's annotations name for TLS to its pods
 * (`konghq.com/client-cert`, `konghq.com/ca-certificates-secrets` and `-configmaps`), in its namespace.
 */
export function serviceReferences(service: Service): References {
  const namespace = service.metadata.namespace ?? "";
  const annotations = service.metadata.annotations ?? {};
  const keys = (...values: (string | undefined)[]): string[] => {
    const names = values.flatMap(v => (v ?? "").split(",").map(n => n.trim()));
    return [...new Set(names.filter(n => n !== "").map(n => nameKey(namespace, n)))];
  };
  const secrets = keys(
    annotations["konghq.com/client-cert"],
    annotations["konghq.com/ca-certificates-secrets"],
  );
  const configMaps = keys(annotations["konghq.com/ca-certificates-configmaps"]);
  return { services: [], secrets, ...(configMaps.length === 0 ? {} : { configMaps }) };
}

/** The Service an EndpointSlice belongs to, as a `namespace/name` key. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return service === undefined || service === ""
    ? undefined
    : nameKey(slice.metadata.namespace ?? "", service);
}

/** Labelled for us: kept with its data even when nothing references it (yet). */
export function isLabelledSecret(secret: Secret): boolean {
  const labels = secret.metadata.labels;
  return labels?.[CA_CERT_LABEL] === "true" || labels?.[CREDENTIAL_LABEL] !== undefined;
}

/** `--watch-namespace`: an empty list allows every namespace; cluster-scoped objects always pass. */
export function namespaceAllowed(namespace: string, watchNamespaces: readonly string[]): boolean {
  return namespace === "" || watchNamespaces.length === 0 || watchNamespaces.includes(namespace);
}

/** A reference to a core-group object of `kind` (the default when the reference names no kind). */
function coreRef(
  ref: { readonly group?: string; readonly kind?: string },
  kind: "Service" | "Secret",
): boolean {
  return (ref.group ?? "") === "" && (ref.kind ?? kind) === kind;
}

/** The TLS Secrets a Gateway's listeners name, in whatever namespace (grants are translation's call). */
export function gatewayReferences(gateway: Gateway): References {
  const namespace = gateway.metadata.namespace ?? "";
  const secrets = new Set<string>();
  for (const listener of gateway.spec.listeners) {
    for (const ref of listener.tls?.certificateRefs ?? [])
      if (coreRef(ref, "Secret")) secrets.add(nameKey(ref.namespace ?? namespace, ref.name));
  }
  return { services: [], secrets: [...secrets] };
}

/** The Services a route's rules (and their mirrors) send to, in whatever namespace. */
export function routeReferences(route: GatewayRoute): References {
  const namespace = route.metadata.namespace ?? "";
  const services = new Set<string>();
  const add = (ref: BackendRef): void => {
    if (coreRef(ref, "Service")) services.add(nameKey(ref.namespace ?? namespace, ref.name));
  };
  for (const rule of route.spec.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) add(ref);
    const filters = (rule as { readonly filters?: readonly HTTPRouteFilter[] }).filters ?? [];
    for (const filter of filters) if (filter.requestMirror) add(filter.requestMirror.backendRef);
  }
  return { services: [...services], secrets: [] };
}
