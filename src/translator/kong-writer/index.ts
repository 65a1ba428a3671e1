/**
 * The one stage that writes Kong's declarative config (format 3.0) from the IR: KIC's defaults, the
 * `k8s-*` tags of each element's origin, weighted targets, and a total order (services, upstreams and
 * routes by name, targets by address, certificates by id, SNIs by name), so equal IR gives equal bytes.
 *
 * With a memo, an entity whose IR parts are the same objects as in the last write is the same entity
 * object as then: the encoder reuses each top-level entity's bytes by identity (kong/encode.ts).
 */
import type {
  KongCertificate,
  KongConfig,
  KongRoute,
  KongService,
  KongTarget,
  KongUpstream,
} from "../../kong/types.ts";
import type { KubeObject } from "../../model/k8s.ts";
import { refOf } from "../../model/object-ref.ts";
import { compareStrings, indexOfSorted } from "../../util/compare.ts";
import type {
  IrBackend,
  IrCertificate,
  IrConfig,
  IrHttpRoute,
  IrRoute,
  IrService,
  Origin,
} from "../ir/types.ts";
import { sameItems, sameOrigin, sameSettings } from "../ir/same.ts";
import { TagTexts, tagsFor } from "../tags.ts";
import { writeConsumers, writePlugins } from "./kong-objects.ts";
import {
  ingressRoutePriority,
  rankGatewayMatches,
  splitGatewayMatch,
  type SplitMatch,
} from "./expressions.ts";
import { TRADITIONAL_WRITING, writeRoute, type RouteWriting } from "./routes.ts";

export { inexpressible, kongHeaders, kongPath } from "./routes.ts";
export { expressionLosses } from "./expression-limits.ts";

/** Upstream KIC adds to an otherwise empty config so Kong's `/status/ready` turns 200 (KIC PR #4316). */
export const STUB_UPSTREAM_NAME = "kong";

interface WrittenService {
  readonly ir: IrService;
  /**
   * The Kong routes of each of `ir.routes`, in that order; undefined for a service of one IR route whose
   * Kong routes are the service's own list (the common case: no second list kept per service).
   */
  readonly written: readonly (readonly KongRoute[])[] | undefined;
  readonly service: KongService;
  readonly upstream: KongUpstream;
}

interface WrittenCertificate {
  readonly ir: IrCertificate;
  readonly entity: KongCertificate;
}

/** What the writer keeps between writes; entries of IR elements that are gone go with them. */
export class KongWriterMemo {
  /** By service name; every write keeps only the services it wrote. */
  services: Map<string, WrittenService> = new Map();
  /** The router flavour `services` were written for; another one writes every route anew. */
  flavor: WriterFlavor = "traditional_compatible";
  /** By the certificate's origin object (its Secret). */
  readonly certificates = new WeakMap<KubeObject, WrittenCertificate>();
  readonly #tags = new WeakMap<KubeObject, readonly string[]>();
  readonly #texts = new TagTexts();
  readonly #targets = new WeakMap<IrBackend, readonly KongTarget[]>();

  /**
   * The targets of an upstream of one backend, one list per backend object: the Kong services of one
   * Service port (named by number and by name) share the backend, and so its targets.
   */
  readonly targetsOf = (backends: readonly IrBackend[]): readonly KongTarget[] => {
    const only = backends.length === 1 ? backends[0] : undefined;
    if (only === undefined) return weightedTargets(backends, this.tagsOf);
    let targets = this.#targets.get(only);
    if (targets === undefined) {
      targets = weightedTargets(backends, this.tagsOf);
      this.#targets.set(only, targets);
    }
    return targets;
  };

  /**
   * `tagsOf`, one array per object version: an object's tags go on all its entities (a Service's
   * service and upstream, an EndpointSlice's every target), and building them is string work per entity.
   */
  readonly tagsOf = (origin: Origin): readonly string[] => {
    if (origin.tags !== undefined && origin.tags.length > 0) return tagsOf(origin, this.#texts);
    let tags = this.#tags.get(origin.object);
    if (tags === undefined) {
      tags = tagsOf(origin, this.#texts);
      this.#tags.set(origin.object, tags);
    }
    return tags;
  };
}

/** The `k8s-*` tags of the origin's object, then its extra tags. */
export function tagsOf(origin: Origin, texts?: TagTexts): readonly string[] {
  return tagsFor(refOf(origin.object), origin.tags, texts);
}

/** Kong's `router_flavor`: `expressions` writes expression routes, the others traditional ones. */
export type WriterFlavor = "traditional" | "traditional_compatible" | "expressions";

export function writeKongConfig(
  ir: IrConfig,
  memo = new KongWriterMemo(),
  flavor: WriterFlavor = "traditional_compatible",
): KongConfig {
  if (memo.flavor !== flavor) {
    memo.services = new Map();
    memo.flavor = flavor;
  }
  const writing = routeWriting(ir, flavor);
  const services: KongService[] = [];
  const upstreams: KongUpstream[] = [];
  const written = new Map<string, WrittenService>();
  for (const service of ir.services) {
    const w = writeService(service, memo, writing);
    written.set(service.name, w);
    services.push(w.service);
    upstreams.push(w.upstream);
  }
  memo.services = written;
  const certificates = ir.certificates
    .map(c => writeCertificate(c, memo))
    .sort((a, b) => compareStrings(a.id, b.id));
  const caCertificates = (ir.caCertificates ?? [])
    .map(c => ({ id: c.id, cert: c.cert, tags: tagsOf(c.origin) }))
    .sort((a, b) => compareStrings(a.id, b.id));
  if (services.length === 0 && certificates.length === 0) {
    upstreams.push({ name: STUB_UPSTREAM_NAME, algorithm: "round-robin" });
  }
  return {
    _format_version: "3.0",
    ...nonEmpty("services", services.sort(byName)),
    ...nonEmpty("upstreams", upstreams.sort(byName)),
    ...nonEmpty("certificates", certificates),
    ...nonEmpty("ca_certificates", caCertificates),
    ...nonEmpty("plugins", writePlugins(ir.plugins ?? [])),
    ...nonEmpty("consumers", writeConsumers(ir.consumers ?? [])),
  };
}

/**
 * `config` (written last from `memo`) with the Kong services of `services` written anew, for a change
 * that touched only their routes (patch.ts, patch-httproutes.ts): every other entity is kept by
 * identity, so the encoder reuses their bytes. `services` must keep their names, upstreams and bodies,
 * and under expressions hold no Gateway API route and no host catch-all (their priorities depend on
 * every route, and only `services` are asked here); undefined when a service is not where `config` has
 * it or its upstream would change, and `memo` is then untouched.
 */
export function rewriteServices(
  config: KongConfig,
  services: readonly IrService[],
  memo: KongWriterMemo,
  flavor: WriterFlavor,
): KongConfig | undefined {
  if (memo.flavor !== flavor) return undefined;
  if (flavor === "expressions" && services.some(s => s.routes.some(rankedAgainstOthers)))
    return undefined;
  const writing = routeWriting({ services, certificates: [] }, flavor);
  const rewritten = rewrittenInPlace(config.services ?? [], services, memo, {
    name: ir => ir.name,
    entity: w => w.service,
    write: (ir, before) => {
      const w = writeService(ir, memo, writing);
      return w.upstream === before.upstream ? w : undefined;
    },
  });
  return rewritten === undefined ? undefined : { ...config, services: rewritten };
}

/**
 * `config` (written last from `memo`) with the upstreams of `services` written anew, for a change that
 * touched only their backends' endpoints (patch-endpoints.ts): each service keeps its name, upstream
 * name, settings and routes, so its Kong service entity stays the one written last (it names its
 * upstream, not the targets) and only the upstream and its targets are new. Undefined when a service
 * or its upstream is not what `config` holds; `memo` is then untouched.
 */
export function rewriteUpstreams(
  config: KongConfig,
  services: readonly IrService[],
  memo: KongWriterMemo,
): KongConfig | undefined {
  // Nothing to write (a config without upstreams has no `upstreams` section, not an empty one).
  if (services.length === 0) return config;
  const rewritten = rewrittenInPlace(config.upstreams ?? [], services, memo, {
    name: ir => ir.upstreamName,
    entity: w => w.upstream,
    write: (ir, before) =>
      sameServiceEntity(before.ir, ir)
        ? { ...before, ir, upstream: writeUpstream(ir, memo.tagsOf(ir.origin), memo.targetsOf) }
        : undefined,
  });
  return rewritten === undefined ? undefined : { ...config, upstreams: rewritten };
}

/**
 * `list` (a config section, sorted by name: `byName`) with the entity each of `services` wrote last
 * replaced by the one `part.write` writes now, and `memo` moved on to those writes; undefined, with
 * `memo` untouched, when an entity is not the one `list` holds or `part.write` refuses. In place: a copy
 * of every other service's entry would cost more than the rewrite itself.
 */
function rewrittenInPlace<E extends { readonly name: string }>(
  list: readonly E[],
  services: readonly IrService[],
  memo: KongWriterMemo,
  part: {
    readonly name: (ir: IrService) => string;
    readonly entity: (written: WrittenService) => E;
    readonly write: (ir: IrService, before: WrittenService) => WrittenService | undefined;
  },
): E[] | undefined {
  const rewritten = [...list];
  const written: WrittenService[] = [];
  for (const ir of services) {
    const before = memo.services.get(ir.name);
    const at = indexOfSorted(list, part.name(ir), entity => entity.name);
    if (before === undefined || at === undefined || list[at] !== part.entity(before))
      return undefined;
    const w = part.write(ir, before);
    if (w === undefined) return undefined;
    rewritten[at] = part.entity(w);
    written.push(w);
  }
  for (const w of written) memo.services.set(w.ir.name, w);
  return rewritten;
}

/** A Gateway API match or a host catch-all: under expressions, its priority depends on other routes. */
function rankedAgainstOthers(route: IrRoute): boolean {
  return route.kind === "http" && (route.place !== undefined || route.hostCatchAll === true);
}

/** Whether the two write the same Kong service entity and routes (`kongService`): all but the backends. */
function sameServiceEntity(a: IrService, b: IrService): boolean {
  return sameServiceFrame(a, b) && sameItems(a.routes, b.routes);
}

/** `{ [key]: list }`, or nothing for an empty list: Kong's format leaves empty sections out. */
function nonEmpty<K extends string, T>(key: K, list: readonly T[]): Partial<Record<K, T[]>> {
  return list.length > 0 ? ({ [key]: list } as Record<K, T[]>) : {};
}

/**
 * Under expressions, the priorities that depend on other routes: the Gateway API matches' (ties broken
 * over all of them) and the host catch-alls' (below the other routes on their host).
 */
function routeWriting(ir: IrConfig, flavor: WriterFlavor): RouteWriting {
  if (flavor !== "expressions") return TRADITIONAL_WRITING;
  const splits: SplitMatch[] = [];
  const catchAlls: IrHttpRoute[] = [];
  for (const service of ir.services)
    for (const route of service.routes) {
      if (route.kind !== "http") continue;
      if (route.place !== undefined) splits.push(...splitGatewayMatch(route));
      else if (route.hostCatchAll === true) catchAlls.push(route);
    }
  const priorities = rankGatewayMatches(splits);
  if (catchAlls.length > 0) rankCatchAlls({ ir, catchAlls, splits, priorities });
  return { expressions: true, gatewayPriorities: priorities };
}

/**
 * A host catch-all answers only what the owner's own routes on its host do not match: one below the
 * lowest of them (KIC's encoding would rank it, an Ingress-kind route, above the owner's HTTPRoutes).
 * It stays above every foreign wildcard route of a kind no higher than the owner's lowest route's.
 */
function rankCatchAlls(p: {
  ir: IrConfig;
  catchAlls: readonly IrHttpRoute[];
  splits: readonly SplitMatch[];
  priorities: Map<string, number>;
}): void {
  const lowest = new Map<string, number>();
  // By lower-cased host, as the hosts below are read: hosts are matched without regard to case.
  for (const c of p.catchAlls)
    for (const host of c.match.hosts) lowest.set(host.toLowerCase(), Infinity);
  const lower = (host: string, priority: number): void => {
    const known = lowest.get(host);
    if (known !== undefined && priority < known) lowest.set(host, priority);
  };
  for (const split of p.splits) {
    const priority = p.priorities.get(split.name);
    if (priority !== undefined) lower(split.hostname.toLowerCase(), priority);
  }
  for (const service of p.ir.services)
    for (const route of service.routes) {
      if (route.kind !== "http" || route.place !== undefined || route.hostCatchAll === true)
        continue;
      const hosts = route.match.hosts.filter(h => lowest.has(h.toLowerCase()));
      if (hosts.length === 0) continue;
      const priority = ingressRoutePriority(route);
      for (const host of hosts) lower(host.toLowerCase(), priority);
    }
  for (const c of p.catchAlls) {
    const below = Math.min(...c.match.hosts.map(h => lowest.get(h.toLowerCase()) ?? Infinity));
    if (below !== Infinity) p.priorities.set(c.name, below - 1);
  }
}

function writeService(ir: IrService, memo: KongWriterMemo, writing: RouteWriting): WrittenService {
  const previous = memo.services.get(ir.name);
  const sameBody = previous !== undefined && sameServiceBody(previous.ir, ir);
  // The common case in a large cluster: nothing about this service changed.
  if (sameBody && sameItems(previous.ir.routes, ir.routes) && samePriorities(previous, writing))
    return previous;
  const written = writeRoutes(ir.routes, previous, { writing, tagsOf: memo.tagsOf });
  const routes = serviceRoutes(written);
  const tags = memo.tagsOf(ir.origin);
  const upstream = sameBody ? previous.upstream : writeUpstream(ir, tags, memo.targetsOf);
  const service = kongService(ir, tags, routes);
  const shared = written.length === 1 && written[0] === routes;
  return { ir, written: shared ? undefined : written, service, upstream };
}

/**
 * The service's Kong routes by name. The service and its written routes are kept while they are
 * unchanged: a service of one IR route shares that route's list, and a merged list is cut to its length
 * (`flat` leaves room for 17).
 */
function serviceRoutes(written: readonly (readonly KongRoute[])[]): readonly KongRoute[] {
  if (written.length === 1) {
    const only = written[0] as readonly KongRoute[];
    if (only.length <= 1) return only;
  }
  return written.flat().sort(byName).slice();
}

/** The Kong routes of `routes`; a route the service had last time keeps the entities written then. */
function writeRoutes(
  routes: readonly IrRoute[],
  previous: WrittenService | undefined,
  {
    writing,
    tagsOf: tags,
  }: { writing: RouteWriting; tagsOf: (origin: Origin) => readonly string[] },
): (readonly KongRoute[])[] {
  const write = (r: IrRoute): readonly KongRoute[] => writeRoute(r, tags(r.origin), writing);
  if (previous === undefined) return routes.map(write);
  const before = new Map<IrRoute, readonly KongRoute[]>();
  for (const [i, route] of previous.ir.routes.entries()) {
    const entities = writtenAt(previous, i);
    if (entities !== undefined && entities.every(e => samePriority(e, writing)))
      before.set(route, entities);
  }
  return routes.map(r => before.get(r) ?? write(r));
}

/** A Gateway API match's priority depends on other routes: an entity is reused only while it holds. */
function samePriority(route: KongRoute, writing: RouteWriting): boolean {
  const priority = writing.gatewayPriorities.get(route.name);
  return priority === undefined || priority === route.priority;
}

function samePriorities(previous: WrittenService, writing: RouteWriting): boolean {
  const lists = previous.written;
  if (lists === undefined)
    return (previous.service.routes ?? []).every(route => samePriority(route, writing));
  return lists.every(list => list.every(route => samePriority(route, writing)));
}

/** The Kong routes written for the service's `index`th IR route. */
function writtenAt(w: WrittenService, index: number): readonly KongRoute[] | undefined {
  if (w.written !== undefined) return w.written[index];
  return index === 0 ? w.service.routes : undefined;
}

/** Protocols on which Kong refuses a service path (kong-admin-api.md §2.6). */
const PATHLESS_PROTOCOLS: ReadonlySet<string> = new Set([
  "grpc",
  "grpcs",
  "tcp",
  "tls",
  "tls_passthrough",
  "udp",
]);

/** Built field by field in Kong's order: conditional spreads allocated an object per optional field. */
function kongService(
  ir: IrService,
  tags: readonly string[],
  routes: readonly KongRoute[],
): KongService {
  const s = ir.settings;
  const protocol = s.protocol ?? "http";
  const service: Mutable<KongService> = {
    name: ir.name,
    protocol,
    host: ir.upstreamName,
    port: ir.port,
  };
  if (!PATHLESS_PROTOCOLS.has(protocol)) service.path = s.path ?? "/";
  service.connect_timeout = s.connectTimeout ?? 60000;
  service.read_timeout = s.readTimeout ?? 60000;
  service.write_timeout = s.writeTimeout ?? 60000;
  service.retries = s.retries ?? 5;
  if (s.clientCertificate !== undefined) service.client_certificate = { id: s.clientCertificate };
  if (s.tlsVerify !== undefined) service.tls_verify = s.tlsVerify;
  if (s.tlsVerifyDepth !== undefined) service.tls_verify_depth = s.tlsVerifyDepth;
  if (s.caCertificates !== undefined) service.ca_certificates = s.caCertificates;
  service.tags = tags;
  service.routes = routes;
  return service;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function writeUpstream(
  ir: IrService,
  tags: readonly string[],
  targetsOf: (backends: readonly IrBackend[]) => readonly KongTarget[],
): KongUpstream {
  const hostHeader = ir.settings.hostHeader;
  return {
    name: ir.upstreamName,
    algorithm: "round-robin",
    ...(hostHeader === undefined ? {} : { host_header: hostHeader }),
    // KIC's order: host-header, then the KongUpstreamPolicy, whose fields win.
    ...ir.upstream,
    tags,
    targets: targetsOf(ir.backends),
  };
}

/**
 * KIC's target weights (kic-conventions.md §2.5): an unweighted backend's endpoints weigh 100 each; a
 * weighted backend's share is split evenly over its endpoints (at least 1 each, 0 stays 0); an address
 * reached through several backends is one target with the summed weight.
 */
export function weightedTargets(
  backends: readonly IrBackend[],
  tagsOfEndpoint: (origin: Origin) => readonly string[] = tagsOf,
): readonly KongTarget[] {
  // One backend's endpoints have one address each (backends.ts): then no merging and no map.
  const only = backends.length === 1 ? backends[0] : undefined;
  if (only !== undefined) {
    const share = endpointWeight(only);
    const targets = inOrder(
      only.endpoints.map(endpoint => ({
        target: endpoint.address,
        weight: endpoint.draining === true ? 0 : share,
        tags: tagsOfEndpoint(endpoint.origin),
      })),
    );
    if (!targets.some((t, i) => i > 0 && t.target === targets[i - 1]?.target)) return targets;
  }
  const byAddress = new Map<string, { target: string; weight: number; tags: readonly string[] }>();
  for (const backend of backends) {
    const share = endpointWeight(backend);
    for (const endpoint of backend.endpoints) {
      // KIC's drain support: a terminating endpoint takes no new traffic, whatever its backend's share.
      const weight = endpoint.draining === true ? 0 : share;
      const existing = byAddress.get(endpoint.address);
      if (existing !== undefined) existing.weight += weight;
      else {
        const tags = tagsOfEndpoint(endpoint.origin);
        byAddress.set(endpoint.address, { target: endpoint.address, weight, tags });
      }
    }
  }
  return inOrder([...byAddress.values()]);
}

/** Targets by address; slices usually list their endpoints in order: then no sort (each allocates). */
function inOrder(targets: KongTarget[]): KongTarget[] {
  for (let i = 1; i < targets.length; i++)
    if (
      compareStrings((targets[i - 1] as KongTarget).target, (targets[i] as KongTarget).target) > 0
    )
      return targets.sort((a, b) => compareStrings(a.target, b.target));
  return targets;
}

function endpointWeight(backend: IrBackend): number {
  if (backend.weight === undefined) return 100;
  if (backend.weight === 0) return 0;
  // KIC splits a backend's share over the endpoints that take traffic, not the draining ones.
  const serving = backend.endpoints.filter(e => e.draining !== true).length;
  return Math.max(1, Math.floor(backend.weight / Math.max(1, serving)));
}

function writeCertificate(c: IrCertificate, memo: KongWriterMemo): KongCertificate {
  const previous = memo.certificates.get(c.origin.object);
  if (previous !== undefined && sameCertificate(previous.ir, c)) return previous.entity;
  const entity: KongCertificate = {
    id: c.id,
    cert: c.cert,
    key: c.key,
    snis: [...c.snis]
      .sort((a, b) => compareStrings(a.name, b.name))
      .map(sni => ({ name: sni.name, tags: memo.tagsOf(sni.origin) })),
    tags: memo.tagsOf(c.origin),
  };
  memo.certificates.set(c.origin.object, { ir: c, entity });
  return entity;
}

function sameCertificate(a: IrCertificate, b: IrCertificate): boolean {
  return (
    a.id === b.id &&
    a.cert === b.cert &&
    a.key === b.key &&
    sameOrigin(a.origin, b.origin) &&
    a.snis.length === b.snis.length &&
    a.snis.every((sni, i) => {
      const other = b.snis[i];
      return other !== undefined && sni.name === other.name && sameOrigin(sni.origin, other.origin);
    })
  );
}

/** Whether two services differ only in their routes (the parts compared are memoised objects). */
function sameServiceBody(a: IrService, b: IrService): boolean {
  return sameServiceFrame(a, b) && sameItems(a.backends, b.backends);
}

/** Whether two services agree on all but their routes and backends. */
function sameServiceFrame(a: IrService, b: IrService): boolean {
  return (
    a.name === b.name &&
    a.upstreamName === b.upstreamName &&
    a.port === b.port &&
    sameOrigin(a.origin, b.origin) &&
    sameSettings(a.settings, b.settings) &&
    a.upstream === b.upstream
  );
}

function byName(a: { name: string }, b: { name: string }): number {
  return compareStrings(a.name, b.name);
}
