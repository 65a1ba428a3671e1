/**
 * Kubernetes Services (and their EndpointSlices) to Kong services, upstreams and targets
 * (kic-conventions.md §2.4–2.5).
 */
import type { EndpointSlice, Service, ServiceBackendPort, ServicePort } from "../model/k8s.ts";
import { refOf } from "../model/object-ref.ts";
import type { KongService, KongTarget, KongUpstream } from "../kong/types.ts";
import { compareStrings } from "../util/compare.ts";
import { parseServiceAnnotations, type ServiceOverrides } from "./annotations.ts";
import { tagsFor } from "./tags.ts";
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

export interface BackendTranslation {
  readonly service: KongService;
  readonly upstream: KongUpstream;
  readonly problems: readonly Problem[];
  /** EndpointSlices that contributed targets. */
  readonly slices: readonly EndpointSlice[];
}

/** Pure in (Service, port, slices): safe to memoise on their uid/resourceVersion. */
export function translateBackend(input: {
  readonly key: BackendKey;
  readonly service: Service;
  readonly port: ServicePort;
  readonly slices: readonly EndpointSlice[];
  readonly clusterDomain: string;
}): BackendTranslation {
  const { value: overrides, problems } = parseServiceAnnotations(
    input.service.metadata.annotations,
  );
  const tags = tagsFor(refOf(input.service), overrides.tags);
  const name = upstreamName(input.key);
  const { targets, slices } = targetsFor(input, overrides);
  const upstream: KongUpstream = {
    name,
    algorithm: "round-robin",
    ...(overrides.hostHeader === undefined ? {} : { host_header: overrides.hostHeader }),
    tags,
    targets,
  };
  return { service: kongService(input, overrides, tags), upstream, problems, slices };
}

const PATHLESS_PROTOCOLS: ReadonlySet<string> = new Set([
  "grpc",
  "grpcs",
  "tcp",
  "tls",
  "tls_passthrough",
  "udp",
]);

function kongService(
  input: { key: BackendKey; port: ServicePort },
  o: ServiceOverrides,
  tags: readonly string[],
): KongService {
  const protocol = o.protocol ?? "http";
  return {
    name: kongServiceName(input.key),
    protocol,
    host: upstreamName(input.key),
    port: input.port.port,
    // Kong refuses a path on stream and gRPC services (kong-admin-api.md §2.6).
    ...(PATHLESS_PROTOCOLS.has(protocol) ? {} : { path: o.path ?? "/" }),
    connect_timeout: o.connectTimeout ?? 60000,
    read_timeout: o.readTimeout ?? 60000,
    write_timeout: o.writeTimeout ?? 60000,
    retries: o.retries ?? 5,
    tags,
  };
}

function targetsFor(
  input: {
    service: Service;
    port: ServicePort;
    slices: readonly EndpointSlice[];
    clusterDomain: string;
  },
  overrides: ServiceOverrides,
): { targets: readonly KongTarget[]; slices: readonly EndpointSlice[] } {
  const { service, port } = input;
  const tags = tagsFor(refOf(service), overrides.tags);
  if (service.spec.type === "ExternalName" && service.spec.externalName !== undefined) {
    const targetPort = typeof port.targetPort === "number" ? port.targetPort : port.port;
    return {
      targets: [{ target: hostPort(service.spec.externalName, targetPort), weight: 100, tags }],
      slices: [],
    };
  }
  if (overrides.serviceUpstream) {
    const domain = input.clusterDomain === "" ? "" : `.${input.clusterDomain}`;
    const host = `${service.metadata.name}.${service.metadata.namespace ?? ""}.svc${domain}`;
    return { targets: [{ target: hostPort(host, port.port), weight: 100, tags }], slices: [] };
  }
  return endpointTargets(input.slices, port);
}

/** Ready endpoints whose slice port matches the Service port by name and protocol; duplicates merged. */
function endpointTargets(
  slices: readonly EndpointSlice[],
  port: ServicePort,
): { targets: readonly KongTarget[]; slices: readonly EndpointSlice[] } {
  const byTarget = new Map<string, KongTarget>();
  const used: EndpointSlice[] = [];
  const protocol = port.protocol ?? "TCP";
  for (const slice of slices) {
    const slicePort = (slice.ports ?? []).find(
      p => (p.name ?? "") === (port.name ?? "") && (p.protocol ?? "TCP") === protocol,
    );
    if (slicePort?.port === undefined) continue;
    const tags = tagsFor(refOf(slice));
    for (const endpoint of slice.endpoints ?? []) {
      const address = endpoint.addresses[0];
      if (address === undefined || endpoint.conditions?.ready === false) continue;
      const target = hostPort(address, slicePort.port);
      if (!byTarget.has(target)) byTarget.set(target, { target, weight: 100, tags });
    }
    used.push(slice);
  }
  const targets = [...byTarget.values()].sort((a, b) => compareStrings(a.target, b.target));
  return { targets, slices: used };
}

export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
