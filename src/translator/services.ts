/**
 * The core's step between the sub-translators and the writer: routes grouped into IR services by the
 * Kong service they name, each service's backends resolved (endpoints, the Services' annotations), and
 * what the results must say about the Services and EndpointSlices that were read. Shared by every
 * route kind; memoised per backend on the identity of what it reads.
 */
import type { EndpointSlice, KubeObject } from "../model/k8s.ts";
import { resolveBackend } from "./backends.ts";
import type {
  BackendSpec,
  IrRoute,
  IrService,
  RouteEmission,
  ServiceSettings,
  ServiceSpec,
} from "./ir/types.ts";
import { sameItems, sameSettings } from "./ir/same.ts";
import { inexpressible } from "./kong-writer/index.ts";
import type { BackendEntry, BackendSet, TranslationMemo } from "./memo.ts";
import type { ResultSink } from "./results.ts";

export interface ServicesInput {
  /** In a deterministic order: the first route naming a service brings its spec. */
  readonly emissions: readonly RouteEmission[];
  readonly slicesByService: ReadonlyMap<string, readonly EndpointSlice[]>;
  readonly clusterDomain: string;
  readonly results: ResultSink;
  readonly memo: TranslationMemo;
  /** Writing for Kong's expressions router, which matches more (query parameters). */
  readonly expressions?: boolean;
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
  for (const { spec, routes } of byName.values()) {
    const service = buildService({ spec, routes, used }, input);
    if (service !== undefined) services.push(service);
  }
  input.memo.backends = used;
  return services;
}

/** The safety net behind the sub-translators' own checks: Kong never gets a route it would misread. */
function expressible(
  route: IrRoute,
  { results, expressions }: Pick<ServicesInput, "results" | "expressions">,
): boolean {
  const limits = inexpressible(route, expressions);
  if (limits.length === 0) return true;
  results.problem(
    route.origin.object,
    "RouteNotExpressible",
    `route ${route.name} is left out: ${limits.join("; ")}`,
  );
  return false;
}

function buildService(
  group: { spec: ServiceSpec; routes: IrRoute[]; used: Map<string, BackendSet> },
  input: ServicesInput,
): IrService | undefined {
  const { spec, routes, used } = group;
  const set = backendSet(spec, input);
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
  const only = set.entries.length === 1 ? set.entries[0] : undefined;
  return {
    name: spec.name,
    origin: only === undefined ? spec.origin : only.resolved.origin,
    upstreamName: spec.upstreamName,
    port: spec.backends[0]?.port.port ?? DEFAULT_PORT,
    settings,
    backends: set.backends,
    routes,
  };
}

/** The service's resolved backends: the same set as last time while every backend is unchanged. */
function backendSet(spec: ServiceSpec, input: ServicesInput): BackendSet {
  const previous = input.memo.backends.get(spec.name);
  const entries: BackendEntry[] = [];
  let unchanged = previous?.entries.length === spec.backends.length;
  // An index loop: this runs for every Kong service of every translation.
  for (let i = 0; i < spec.backends.length; i++) {
    const before = previous?.entries[i];
    const entry = backendEntry(before, spec.backends[i] as BackendSpec, input);
    unchanged &&= entry === before;
    entries.push(entry);
  }
  if (unchanged && previous !== undefined) return previous;
  return { entries, backends: entries.map(e => e.resolved.backend) };
}

/** KIC's port for a Kong service that has no backend to take one from. */
const DEFAULT_PORT = 80;

const NO_SLICES: readonly EndpointSlice[] = Object.freeze([]);

/** The backend's resolution, reused while its Service, port, weight and EndpointSlices are the same. */
function backendEntry(
  previous: BackendEntry | undefined,
  spec: BackendSpec,
  input: ServicesInput,
): BackendEntry {
  const { service, port } = spec;
  const weight = spec.weight;
  const namespace = service.metadata.namespace ?? "";
  const slices = input.slicesByService.get(`${namespace}/${service.metadata.name}`) ?? NO_SLICES;
  if (
    previous !== undefined &&
    previous.service === service &&
    previous.port === port &&
    previous.weight === weight &&
    sameItems(previous.slices, slices)
  ) {
    return previous;
  }
  const resolved = resolveBackend({
    service,
    port,
    weight,
    slices,
    clusterDomain: input.clusterDomain,
  });
  return { service, port, weight, slices, resolved };
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

function serviceName(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}
