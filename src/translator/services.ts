/**
 * The core's step between the sub-translators and the writer: routes grouped into IR services by the
 * Kong service they name, each service's backends resolved (endpoints, the Services' annotations), and
 * what the results must say about the Services and EndpointSlices that were read. Shared by every
 * route kind; memoised per backend on the identity of what it reads.
 */
import { CONFIGMAP_LABEL, SERVICE_NAME_LABEL } from "../model/k8s.ts";
import type { ConfigMap, EndpointSlice, KubeObject, Secret, Service } from "../model/k8s.ts";
import { resolveBackend, type TlsReferences } from "./backends.ts";
import type {
  BackendSpec,
  IrRoute,
  IrService,
  RouteEmission,
  ServiceSettings,
  ServiceSpec,
} from "./ir/types.ts";
import { sameItems, sameSettings } from "./ir/same.ts";
import { expressionLosses, inexpressible } from "./kong-writer/index.ts";
import type { BackendEntry, BackendSet, RouterVerdict, TranslationMemo } from "./memo.ts";
import type { ResultSink } from "./results.ts";
import type { CertificateCollector } from "./tls.ts";

export interface ServicesInput {
  /** In a deterministic order: the first route naming a service brings its spec. */
  readonly emissions: readonly RouteEmission[];
  readonly slicesByService: ReadonlyMap<string, readonly EndpointSlice[]>;
  readonly clusterDomain: string;
  /** `--enable-drain-support`. */
  readonly drain?: boolean;
  readonly results: ResultSink;
  readonly memo: TranslationMemo;
  /** Writing for Kong's expressions router, which matches more (query parameters). */
  readonly expressions?: boolean;
  /** By `namespace/name`: the Secrets Services name for TLS to their upstreams. */
  readonly secrets: ReadonlyMap<string, Secret>;
  /** By `namespace/name`: the labelled ConfigMaps (the only ones read), for CA certificates. */
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  /** Where client and CA certificates the Services name are collected. */
  readonly certificates: CertificateCollector;
  /**
   * Where the routes Kong's router cannot take are recorded, with why: this is the one place that
   * judges them, and `markServed` (served.ts) reads it to say which objects are served.
   */
  readonly refused?: Map<IrRoute, readonly string[]>;
}

/** `namespace/name` of the Service a slice belongs to (its `kubernetes.io/service-name` label). */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return service === undefined ? undefined : `${slice.metadata.namespace ?? ""}/${service}`;
}

/** The slices by `sliceServiceKey`, in list order: what backend resolution reads a Service's from. */
export function slicesByService(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const map = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = sliceServiceKey(slice);
    if (key === undefined) continue;
    const list = map.get(key);
    if (list === undefined) map.set(key, [slice]);
    else list.push(slice);
  }
  return map;
}

export function buildServices(input: ServicesInput): IrService[] {
  const byName = new Map<string, { spec: ServiceSpec; routes: IrRoute[] }>();
  for (const { route, service } of input.emissions) {
    if (!expressible(route, input)) continue;
    const entry = byName.get(service.name);
    if (entry === undefined) byName.set(service.name, { spec: service, routes: [route] });
    else entry.routes.push(route);
  }
  const services: IrService[] = [];
  const used = new Map<string, BackendSet>();
  // The remembered entries were checked against this very map: a Service's slices are those they hold.
  const sameSlices = input.memo.backendSlices === input.slicesByService;
  const fresh: FreshEntries = new Map();
  for (const { spec, routes } of byName.values()) {
    const service = buildService({ spec, routes, used, sameSlices, fresh }, input);
    if (service !== undefined) services.push(service);
  }
  input.memo.backends = used;
  input.memo.backendSlices = input.slicesByService;
  return services;
}

/** The safety net behind the sub-translators' own checks: Kong never gets a route it would misread. */
function expressible(
  route: IrRoute,
  input: Pick<ServicesInput, "results" | "expressions" | "refused" | "memo">,
): boolean {
  const { results, refused } = input;
  const { limits, losses } = input.memo.routerVerdict(
    route,
    input.expressions === true,
    judgeRoute,
  );
  if (limits.length === 0) {
    for (const loss of losses) results.problem(route.origin.object, "NotExpressible", loss);
    return true;
  }
  results.problem(
    route.origin.object,
    "RouteNotExpressible",
    `route ${route.name} is left out: ${limits.join("; ")}`,
  );
  refused?.set(route, limits);
  return false;
}

/** Kong's router's verdict on one route (the memo keeps it per route object: `routerVerdict`). */
export function judgeRoute(route: IrRoute, expressions: boolean): RouterVerdict {
  const limits = inexpressible(route, expressions);
  const losses = limits.length === 0 && expressions ? expressionLosses(route) : NO_LOSSES;
  // The memo keeps a verdict per route: most routes share one that says nothing.
  if (limits.length === 0 && losses.length === 0) return expressions ? TAKEN_EXPRESSIONS : TAKEN;
  return { expressions, limits, losses };
}

const NO_LOSSES: readonly string[] = Object.freeze([]);
const TAKEN: RouterVerdict = Object.freeze({
  expressions: false,
  limits: NO_LOSSES,
  losses: NO_LOSSES,
});
const TAKEN_EXPRESSIONS: RouterVerdict = Object.freeze({
  expressions: true,
  limits: NO_LOSSES,
  losses: NO_LOSSES,
});

function buildService(
  group: {
    spec: ServiceSpec;
    routes: IrRoute[];
    used: Map<string, BackendSet>;
    sameSlices: boolean;
    fresh: FreshEntries;
  },
  input: ServicesInput,
): IrService | undefined {
  const { spec, routes, used } = group;
  const set = backendSet(spec, group, input);
  const settings = agreedSettings(spec, set.entries, input.results);
  if (settings === undefined) {
    for (const origin of new Set(routes.map(r => r.origin.object))) {
      input.results.problem(
        origin,
        "InconsistentBackends",
        `route(s) of Kong service ${spec.name} are not routed: its Services' konghq.com/* annotations differ`,
      );
    }
    return undefined;
  }
  used.set(spec.name, set);
  for (const entry of set.entries) reportBackend(entry, input.results);
  adviseStreamProtocol(spec.name, routes, settings, input.results);
  const only = set.entries.length === 1 ? set.entries[0] : undefined;
  const first = set.entries[0];
  return {
    name: spec.name,
    origin: only === undefined ? spec.origin : only.resolved.origin,
    upstreamName: spec.upstreamName,
    port: spec.backends[0]?.port.port ?? DEFAULT_PORT,
    settings: first === undefined ? settings : upstreamTls(first, settings, input),
    backends: set.backends,
    routes,
  };
}

/**
 * The backends resolved anew in one translation, by Service: Kong services of one Service port (an
 * Ingress naming the port by number and by name) share one resolution, its endpoints and targets.
 */
export type FreshEntries = Map<Service, BackendEntry[]>;

/** The service's resolved backends: the same set as last time while every backend is unchanged. */
function backendSet(
  spec: ServiceSpec,
  { sameSlices, fresh }: { sameSlices: boolean; fresh: FreshEntries },
  input: ServicesInput,
): BackendSet {
  const previous = input.memo.backends.get(spec.name);
  const count = spec.backends.length;
  // Sized up front, as the set is kept: an array grown by pushing keeps room for 17 entries.
  const entries = new Array<BackendEntry>(count);
  let unchanged = previous?.entries.length === count;
  // An index loop: this runs for every Kong service of every translation.
  for (let i = 0; i < count; i++) {
    const before = previous?.entries[i];
    const entry = backendEntry(before, spec.backends[i] as BackendSpec, {
      sameSlices,
      fresh,
      input,
    });
    unchanged &&= entry === before;
    entries[i] = entry;
  }
  if (unchanged && previous !== undefined) return previous;
  return { entries, backends: entries.map(e => e.resolved.backend) };
}

/** KIC's port for a Kong service that has no backend to take one from. */
const DEFAULT_PORT = 80;

const NO_SLICES: readonly EndpointSlice[] = Object.freeze([]);

/** What resolving a backend reads besides its spec. */
type ResolutionInput = Pick<ServicesInput, "slicesByService" | "clusterDomain" | "drain">;

/**
 * `previous` resolved again with the EndpointSlices of `input` (patch-endpoints.ts: only slices changed),
 * as `backendSet` would resolve the same specs: entries whose slices are the same are kept, the others
 * resolved anew, sharing a resolution with `fresh`'s twins. Undefined when an entry's spec cannot be
 * told from the entry (a port the Service does not list); `fresh` is shared by one translation's calls.
 */
export function backendSetResolvedAgain(
  previous: BackendSet,
  fresh: FreshEntries,
  input: ResolutionInput,
): BackendSet | undefined {
  const count = previous.entries.length;
  // Sized up front, as in `backendSet`: the set is kept.
  const entries = new Array<BackendEntry>(count);
  let unchanged = true;
  for (let i = 0; i < count; i++) {
    const before = previous.entries[i] as BackendEntry;
    // A port the Service lists is its own object; a missing one is a placeholder (`portMissing`).
    if (before.service.spec.ports?.includes(before.port) !== true) return undefined;
    const spec: BackendSpec = {
      service: before.service,
      port: before.port,
      ...(before.weight === undefined ? {} : { weight: before.weight }),
      ...(before.serviceUpstream ? { serviceUpstream: true } : {}),
    };
    const entry = backendEntry(before, spec, { sameSlices: false, fresh, input });
    unchanged &&= entry === before;
    entries[i] = entry;
  }
  if (unchanged) return previous;
  return { entries, backends: entries.map(e => e.resolved.backend) };
}

/** The backend's resolution, reused while its Service, port, weight and EndpointSlices are the same. */
function backendEntry(
  previous: BackendEntry | undefined,
  spec: BackendSpec,
  {
    sameSlices,
    fresh,
    input,
  }: { sameSlices: boolean; fresh: FreshEntries; input: ResolutionInput },
): BackendEntry {
  const { service, port } = spec;
  const weight = spec.weight;
  const slices =
    sameSlices && previous?.service === service
      ? previous.slices
      : (input.slicesByService.get(
          `${service.metadata.namespace ?? ""}/${service.metadata.name}`,
        ) ?? NO_SLICES);
  if (previous !== undefined && sameBackendInput(previous, spec, slices)) return previous;
  const resolvedBefore = fresh.get(service);
  const twin = resolvedBefore?.find(e => sameBackendInput(e, spec, slices));
  if (twin !== undefined) return twin;
  const resolved = resolveBackend({
    service,
    port,
    weight,
    ...(spec.portMissing === true ? { portMissing: true } : {}),
    ...(spec.serviceUpstream === true ? { serviceUpstream: true } : {}),
    slices,
    clusterDomain: input.clusterDomain,
    ...(input.drain === true ? { drain: true } : {}),
  });
  const entry: BackendEntry = {
    service,
    port,
    weight,
    serviceUpstream: spec.serviceUpstream === true,
    slices,
    resolved,
  };
  if (resolvedBefore === undefined) fresh.set(service, [entry]);
  else resolvedBefore.push(entry);
  return entry;
}

/** Whether `entry` was resolved from what `spec` asks with these slices (a missing port is a new object). */
function sameBackendInput(
  entry: BackendEntry,
  spec: BackendSpec,
  slices: readonly EndpointSlice[],
): boolean {
  return (
    entry.service === spec.service &&
    entry.port === spec.port &&
    entry.weight === spec.weight &&
    entry.serviceUpstream === (spec.serviceUpstream === true) &&
    sameItems(entry.slices, slices)
  );
}

function reportBackend(entry: BackendEntry, results: ResultSink): void {
  const { service, resolved } = entry;
  results.translated(service);
  for (const p of resolved.problems) results.problem(service, p.reason, p.message);
  for (const slice of resolved.slices) {
    results.translated(slice);
    results.dependsOn(slice, service);
  }
}

/**
 * The Kong service's settings: its one Service's annotations, or those all its Services agree on (KIC
 * refuses Services with different `konghq.com/*` annotations behind one Kong service), then what the
 * route kind sets itself. `undefined` when the Services disagree; each of them is told.
 */
function agreedSettings(
  spec: ServiceSpec,
  entries: readonly BackendEntry[],
  results: ResultSink,
): ServiceSettings | undefined {
  const base = entries[0]?.resolved.settings ?? {};
  const agreed = entries.every(e => sameSettings(e.resolved.settings, base));
  if (!agreed) {
    const names = entries.map(e => serviceName(e.service)).join(", ");
    for (const { service } of entries) {
      results.problem(
        service,
        "InconsistentServiceAnnotations",
        `Services ${names} back Kong service ${spec.name} together, so their konghq.com/* annotations must be the same; the Kong service is left out`,
      );
    }
    return undefined;
  }
  return spec.settings === undefined ? base : { ...base, ...spec.settings };
}

const STREAM_SERVICE_PROTOCOLS: ReadonlySet<string> = new Set([
  "tcp",
  "tls",
  "tls_passthrough",
  "udp",
]);

/**
 * A tcp or tls route (an Ingress's `konghq.com/protocols`) on a Kong service that speaks HTTP to its
 * upstream: Kong takes it, but the connection is not proxied as the user meant. KIC says nothing; we
 * tell the route's object which annotation the Service needs.
 */
function adviseStreamProtocol(
  name: string,
  routes: readonly IrRoute[],
  settings: ServiceSettings,
  results: ResultSink,
): void {
  const protocol = settings.protocol ?? "http";
  if (STREAM_SERVICE_PROTOCOLS.has(protocol)) return;
  for (const route of routes) {
    if (route.kind !== "stream" || route.protocols.includes("udp")) continue;
    results.problem(
      route.origin.object,
      "ServiceProtocolMismatch",
      `route ${route.name} is a ${route.protocols.join("/")} route, but Kong service ${name} speaks ${protocol} to its upstream: set konghq.com/protocol: tcp or tls on its Service`,
    );
  }
}

/** Kong takes upstream TLS settings on https and tls services only (services.lua). */
const TLS_PROTOCOLS: ReadonlySet<string> = new Set(["https", "tls"]);

/**
 * The Kong service's upstream TLS settings with the Secrets its Service names resolved (KIC's
 * client-cert, ca-certificates-secrets and -configmaps): each one missing or unusable is a problem on the Service
 * and is left out; so are they all when the protocol is not https or tls, where Kong refuses them.
 */
function upstreamTls(
  entry: BackendEntry,
  settings: ServiceSettings,
  input: ServicesInput,
): ServiceSettings {
  const refs = entry.resolved.tls;
  const wanted =
    refs !== undefined || settings.tlsVerify !== undefined || settings.tlsVerifyDepth !== undefined;
  if (!wanted) return settings;
  const { service } = entry;
  const protocol = settings.protocol ?? "http";
  if (!TLS_PROTOCOLS.has(protocol)) {
    input.results.problem(
      service,
      "InvalidAnnotation",
      `annotations konghq.com/tls-verify, tls-verify-depth, client-cert, ca-certificates-secrets and ca-certificates-configmaps need konghq.com/protocol https or tls (this Service's is ${protocol}); they are ignored`,
    );
    return withoutTls(settings);
  }
  const out: { -readonly [K in keyof ServiceSettings]: ServiceSettings[K] } = { ...settings };
  if (refs?.clientCert !== undefined) {
    const id = clientCertificate(service, refs.clientCert, input);
    if (id !== undefined) out.clientCertificate = id;
  }
  const ids = caCertificates(service, refs ?? {}, settings, input);
  if (ids.length > 0) out.caCertificates = ids;
  return out;
}

function withoutTls(settings: ServiceSettings): ServiceSettings {
  const rest = { ...settings };
  delete rest.tlsVerify;
  delete rest.tlsVerifyDepth;
  return rest;
}

function secretOf(
  service: Service,
  name: string,
  input: ServicesInput,
  annotation: string,
): Secret | undefined {
  const key = `${service.metadata.namespace ?? ""}/${name}`;
  const secret = input.secrets.get(key);
  if (secret === undefined) {
    input.results.problem(
      service,
      "SecretNotFound",
      `annotation konghq.com/${annotation}: Secret ${key} not found; it is ignored`,
    );
    return undefined;
  }
  input.results.dependsOn(service, secret);
  return secret;
}

function clientCertificate(
  service: Service,
  name: string,
  input: ServicesInput,
): string | undefined {
  const secret = secretOf(service, name, input, "client-cert");
  if (secret === undefined) return undefined;
  const cert = input.certificates.clientCertificate(secret, service);
  if (cert.ok) return cert.id;
  const key = `${secret.metadata.namespace ?? ""}/${name}`;
  input.results.problem(
    service,
    "InvalidCertificate",
    `annotation konghq.com/client-cert: Secret ${key} is unusable: ${cert.message}; it is ignored`,
  );
  return undefined;
}

/** The CA certificate sources a Service names: where they are looked up, and how a missing one reads. */
const CA_SOURCES = [
  { kind: "Secret", annotation: "ca-certificates-secrets", missing: "SecretNotFound", note: "" },
  {
    kind: "ConfigMap",
    annotation: "ca-certificates-configmaps",
    missing: "ConfigMapNotFound",
    // KIC's --configmap-label-selector default: an unlabelled ConfigMap is never read.
    note: ` (only ConfigMaps labelled ${CONFIGMAP_LABEL}: "true" are read)`,
  },
] as const;

/**
 * The ids of the CA certificates a Service names in Secrets, then ConfigMaps (KIC's order), each
 * once; a missing or unusable one is a problem on the Service and the others still count.
 */
function caCertificates(
  service: Service,
  refs: TlsReferences,
  settings: ServiceSettings,
  input: ServicesInput,
): string[] {
  const named = { Secret: refs.caSecrets ?? [], ConfigMap: refs.caConfigMaps ?? [] };
  if (named.Secret.length === 0 && named.ConfigMap.length === 0) return [];
  const namespace = service.metadata.namespace ?? "";
  const ids: string[] = [];
  for (const source of CA_SOURCES) {
    const annotation = `konghq.com/${source.annotation}`;
    if (named[source.kind].length === 0) continue;
    if (settings.tlsVerify !== true) {
      // KIC refuses CA certificates without verification: they would silently verify nothing.
      input.results.problem(
        service,
        "InvalidAnnotation",
        `annotation ${annotation} needs konghq.com/tls-verify: "true"; it is ignored`,
      );
      continue;
    }
    const objects = source.kind === "Secret" ? input.secrets : input.configMaps;
    for (const name of named[source.kind]) {
      const key = `${namespace}/${name}`;
      const object = objects.get(key);
      if (object === undefined) {
        input.results.problem(
          service,
          source.missing,
          `annotation ${annotation}: ${source.kind} ${key} not found${source.note}; it is ignored`,
        );
        continue;
      }
      input.results.dependsOn(service, object);
      const ca = input.certificates.caCertificate(object);
      if (!ca.ok) {
        input.results.problem(
          service,
          "InvalidCertificate",
          `annotation ${annotation}: ${source.kind} ${key} is unusable: ${ca.message}; it is ignored`,
        );
      } else if (!ids.includes(ca.id)) ids.push(ca.id);
    }
  }
  return ids;
}

function serviceName(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}
