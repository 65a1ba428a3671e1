/**
 * Kubernetes Services (and their EndpointSlices) to IR backends: ports, endpoints, and the Kong service
 * settings their annotations ask for (kic-conventions.md §2.4–2.5). Shared by every route kind.
 */
import type {
  Endpoint,
  EndpointSlice,
  Service,
  ServiceBackendPort,
  ServicePort,
} from "../model/k8s.ts";
import { definedFields, parseServiceAnnotations, type ServiceOverrides } from "./annotations.ts";
import type { IrBackend, IrEndpoint, Origin, ServiceSettings } from "./ir/types.ts";
import type { Problem } from "./types.ts";

/** The port an Ingress backend names, as KIC spells it in entity names. */
export function canonicalPort(port: ServiceBackendPort | undefined): string {
  if (port?.number !== undefined) return String(port.number);
  if (port?.name !== undefined && port.name !== "") return port.name;
  return "implicitPort";
}

export type PortResolution =
  | { readonly ok: true; readonly port: ServicePort }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** KIC's findPort: by number, by name (or string targetPort), or the Service's only port. */
export function resolveServicePort(
  service: Service,
  wanted: ServiceBackendPort | undefined,
): PortResolution {
  const ports = service.spec.ports ?? [];
  const external = service.spec.type === "ExternalName";
  const id = `${service.metadata.namespace ?? ""}/${service.metadata.name}`;
  if (wanted?.number !== undefined) {
    const found = ports.find(p => p.port === wanted.number);
    if (found !== undefined) return { ok: true, port: found };
    // An ExternalName Service forwards to whatever port the backend asks for.
    if (external) return { ok: true, port: { port: wanted.number, protocol: "TCP" } };
    return portNotFound(`Service ${id} has no port ${wanted.number}`);
  }
  if (wanted?.name !== undefined && wanted.name !== "") {
    const found = ports.find(p => p.name === wanted.name || p.targetPort === wanted.name);
    return found !== undefined
      ? { ok: true, port: found }
      : portNotFound(`Service ${id} has no port named "${wanted.name}"`);
  }
  const [only, ...rest] = ports;
  if (only !== undefined && rest.length === 0) return { ok: true, port: only };
  return portNotFound(
    `Service ${id} has ${ports.length} ports; the backend must name one by number or name`,
  );
}

function portNotFound(message: string): PortResolution {
  return { ok: false, reason: "PortNotFound", message };
}

/** KIC's Kong service port when the route names no number to take it from. */
export const DEFAULT_SERVICE_PORT = 80;

/**
 * The port a Kong service gets for a backend whose Service does not list it (KIC keeps the route):
 * the number the backend names, else KIC's default, 80.
 */
export function unlistedPort(wanted: ServiceBackendPort | undefined): ServicePort {
  return { port: wanted?.number ?? DEFAULT_SERVICE_PORT, protocol: "TCP" };
}

export interface BackendKey {
  readonly namespace: string;
  readonly serviceName: string;
  readonly portKey: string;
}

export function kongServiceName(key: BackendKey): string {
  return `${key.namespace}.${key.serviceName}.${key.portKey}`;
}

/** Kong service host and upstream name; KIC's `<svc>.<ns>.<port>.svc`. */
export function upstreamName(key: BackendKey): string {
  return `${key.serviceName}.${key.namespace}.${key.portKey}.svc`;
}

/** One Service behind a Kong service: its endpoints, and what its annotations ask of the Kong service. */
export interface ResolvedBackend {
  readonly backend: IrBackend;
  /** The Service with its `konghq.com/tags`: what a Kong service of this one backend is tagged with. */
  readonly origin: Origin;
  readonly settings: ServiceSettings;
  /** Secrets its annotations name for TLS to the upstream, resolved per translation (services.ts). */
  readonly tls?: TlsReferences;
  readonly problems: readonly Problem[];
  /** EndpointSlices that contributed endpoints. */
  readonly slices: readonly EndpointSlice[];
}

export interface BackendInput {
  readonly service: Service;
  readonly port: ServicePort;
  readonly weight: number | undefined;
  /** The Service does not list the port: no endpoints (see `BackendSpec.portMissing`). */
  readonly portMissing?: boolean;
  /** IngressClassParameters `serviceUpstream`: as `service-upstream` on the Service. */
  readonly serviceUpstream?: boolean;
  readonly slices: readonly EndpointSlice[];
  readonly clusterDomain: string;
  /** `--enable-drain-support`: terminating endpoints become targets of weight 0. */
  readonly drain?: boolean;
}

/** Pure in its input: safe to memoise on the identity of its parts. */
export function resolveBackend(input: BackendInput): ResolvedBackend {
  const { value: overrides, problems } = parseServiceAnnotations(
    input.service.metadata.annotations,
  );
  const origin: Origin =
    overrides.tags.length === 0
      ? { object: input.service }
      : { object: input.service, tags: overrides.tags };
  const { endpoints, slices } = endpointsFor(input, { overrides, origin });
  const backend: IrBackend = {
    service: input.service,
    port: input.port,
    ...(input.weight === undefined ? {} : { weight: input.weight }),
    endpoints,
  };
  const tls = tlsReferences(overrides);
  return {
    backend,
    origin,
    settings: serviceSettings(overrides),
    ...(tls === undefined ? {} : { tls }),
    problems,
    slices,
  };
}

/**
 * `konghq.com/client-cert`, `konghq.com/ca-certificates-secrets` and `-configmaps`: Secret and
 * ConfigMap names, same namespace.
 */
export interface TlsReferences {
  readonly clientCert?: string;
  readonly caSecrets?: readonly string[];
  readonly caConfigMaps?: readonly string[];
}

function tlsReferences(o: ServiceOverrides): TlsReferences | undefined {
  const { clientCert, caCertificateSecrets, caCertificateConfigMaps } = o;
  if (
    clientCert === undefined &&
    caCertificateSecrets === undefined &&
    caCertificateConfigMaps === undefined
  )
    return undefined;
  return {
    ...(clientCert === undefined ? {} : { clientCert }),
    ...(caCertificateSecrets === undefined ? {} : { caSecrets: caCertificateSecrets }),
    ...(caCertificateConfigMaps === undefined ? {} : { caConfigMaps: caCertificateConfigMaps }),
  };
}

const SETTINGS = [
  "protocol",
  "path",
  "connectTimeout",
  "readTimeout",
  "writeTimeout",
  "retries",
  "hostHeader",
  "tlsVerify",
  "tlsVerifyDepth",
] as const satisfies readonly (keyof ServiceSettings & keyof ServiceOverrides)[];

function serviceSettings(o: ServiceOverrides): ServiceSettings {
  return definedFields(o, SETTINGS);
}

const NO_ENDPOINTS = Object.freeze({ endpoints: Object.freeze([]), slices: Object.freeze([]) });

function endpointsFor(
  input: BackendInput,
  from: { overrides: ServiceOverrides; origin: Origin },
): { endpoints: readonly IrEndpoint[]; slices: readonly EndpointSlice[] } {
  const { service, port } = input;
  if (input.portMissing === true) return NO_ENDPOINTS;
  if (service.spec.type === "ExternalName" && service.spec.externalName !== undefined) {
    const targetPort = typeof port.targetPort === "number" ? port.targetPort : port.port;
    const address = hostPort(service.spec.externalName, targetPort);
    return { endpoints: [{ address, origin: from.origin }], slices: [] };
  }
  if (from.overrides.serviceUpstream || input.serviceUpstream === true) {
    const domain = input.clusterDomain === "" ? "" : `.${input.clusterDomain}`;
    const host = `${service.metadata.name}.${service.metadata.namespace ?? ""}.svc${domain}`;
    return { endpoints: [{ address: hostPort(host, port.port), origin: from.origin }], slices: [] };
  }
  return sliceEndpoints(input.slices, port, input.drain === true);
}

/**
 * Ready endpoints whose slice port matches the Service port by name and protocol; duplicates merged.
 * With `drain`, terminating endpoints too, as draining ones (KIC's `--enable-drain-support`); an
 * address that is ready in one slice and terminating in another is ready.
 */
function sliceEndpoints(
  slices: readonly EndpointSlice[],
  port: ServicePort,
  drain: boolean,
): { endpoints: readonly IrEndpoint[]; slices: readonly EndpointSlice[] } {
  const byAddress = new Map<string, IrEndpoint>();
  const used: EndpointSlice[] = [];
  const protocol = port.protocol ?? "TCP";
  for (const slice of slices) {
    const slicePort = (slice.ports ?? []).find(
      p => (p.name ?? "") === (port.name ?? "") && (p.protocol ?? "TCP") === protocol,
    );
    if (slicePort?.port === undefined) continue;
    const origin: Origin = { object: slice };
    for (const endpoint of slice.endpoints ?? []) {
      const address = endpoint.addresses[0];
      const state = endpointState(endpoint, drain);
      if (address === undefined || state === "skip") continue;
      const spelled = hostPort(address, slicePort.port);
      const known = byAddress.get(spelled);
      if (known !== undefined && (known.draining !== true || state === "draining")) continue;
      byAddress.set(
        spelled,
        state === "draining"
          ? { address: spelled, origin, draining: true }
          : { address: spelled, origin },
      );
    }
    used.push(slice);
  }
  // Usually every slice contributed: then the list handed in is kept, not a copy with room to grow.
  return {
    endpoints: [...byAddress.values()],
    slices: used.length === slices.length ? slices : used.slice(),
  };
}

/** KIC: ready unless said otherwise; a terminating one only to drain. */
function endpointState(endpoint: Endpoint, drain: boolean): "ready" | "draining" | "skip" {
  const conditions = endpoint.conditions;
  if (conditions?.ready !== false) return "ready";
  return drain && conditions.terminating === true ? "draining" : "skip";
}

export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
