/**
 * The one stage that writes Kong's declarative config (format 3.0) from the IR: KIC's defaults, the
 * `k8s-*` tags of each element's origin, weighted targets, and a total order (services, upstreams and
 * routes by name, targets by address, certificates by id, SNIs by name), so equal IR gives equal bytes.
 *
 * With a memo, an entity whose IR parts are the same objects as in the last write is the same entity
 * object as then: the encoder caches each top-level entity's JSON by identity (kong/encode.ts).
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
import { compareStrings } from "../../util/compare.ts";
import type {
  IrBackend,
  IrCertificate,
  IrConfig,
  IrRoute,
  IrService,
  Origin,
} from "../ir/types.ts";
import { sameItems, sameOrigin, sameSettings } from "../ir/same.ts";
import { tagsFor } from "../tags.ts";
import { writeRoute } from "./routes.ts";

export { inexpressible, kongHeaders, kongPath } from "./routes.ts";

/** Upstream KIC adds to an otherwise empty config so Kong's `/status/ready` turns 200 (KIC PR #4316). */
export const STUB_UPSTREAM_NAME = "kong";

interface WrittenService {
  readonly ir: IrService;
  readonly routes: readonly KongRoute[];
  readonly service: KongService;
  readonly upstream: KongUpstream;
}

interface WrittenCertificate {
  readonly signature: string;
  readonly entity: KongCertificate;
}

/** What the writer keeps between writes; entries of IR elements that are gone go with them. */
export class KongWriterMemo {
  readonly #routes = new WeakMap<IrRoute, KongRoute>();
  readonly #objectTags = new WeakMap<KubeObject, readonly string[]>();
  readonly #originTags = new WeakMap<Origin, readonly string[]>();
  /** By service name; every write keeps only the services it wrote. */
  services: ReadonlyMap<string, WrittenService> = new Map();
  /** By the certificate's origin object (its Secret). */
  readonly certificates = new WeakMap<KubeObject, WrittenCertificate>();

  tags(origin: Origin): readonly string[] {
    if (origin.tags === undefined || origin.tags.length === 0) {
      return remembered(this.#objectTags, origin.object, obj => tagsFor(refOf(obj)));
    }
    return remembered(this.#originTags, origin, o => tagsFor(refOf(o.object), o.tags));
  }

  route(route: IrRoute): KongRoute {
    return remembered(this.#routes, route, r => writeRoute(r, this.tags(r.origin)));
  }
}

function remembered<K extends object, V>(map: WeakMap<K, V>, key: K, compute: (key: K) => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = compute(key);
    map.set(key, value);
  }
  return value;
}

export function writeKongConfig(ir: IrConfig, memo = new KongWriterMemo()): KongConfig {
  const services: KongService[] = [];
  const upstreams: KongUpstream[] = [];
  const written = new Map<string, WrittenService>();
  for (const service of ir.services) {
    const w = writeService(service, memo);
    written.set(service.name, w);
    services.push(w.service);
    upstreams.push(w.upstream);
  }
  memo.services = written;
  const certificates = ir.certificates
    .map(c => writeCertificate(c, memo))
    .sort((a, b) => compareStrings(a.id, b.id));
  if (services.length === 0 && certificates.length === 0) {
    upstreams.push({ name: STUB_UPSTREAM_NAME, algorithm: "round-robin" });
  }
  return {
    _format_version: "3.0",
    ...(services.length > 0 ? { services: services.sort(byName) } : {}),
    ...(upstreams.length > 0 ? { upstreams: upstreams.sort(byName) } : {}),
    ...(certificates.length > 0 ? { certificates } : {}),
  };
}

function writeService(ir: IrService, memo: KongWriterMemo): WrittenService {
  const routes = ir.routes.map(r => memo.route(r));
  if (routes.length > 1) routes.sort(byName);
  const previous = memo.services.get(ir.name);
  const sameBody = previous !== undefined && sameServiceBody(previous.ir, ir);
  if (sameBody && sameItems(previous.routes, routes)) return previous;
  const tags = memo.tags(ir.origin);
  const upstream = sameBody ? previous.upstream : writeUpstream(ir, tags, memo);
  const service: KongService = { ...kongService(ir, tags), routes };
  return { ir, routes, service, upstream };
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

function kongService(ir: IrService, tags: readonly string[]): KongService {
  const s = ir.settings;
  const protocol = s.protocol ?? "http";
  return {
    name: ir.name,
    protocol,
    host: ir.upstreamName,
    port: ir.port,
    ...(PATHLESS_PROTOCOLS.has(protocol) ? {} : { path: s.path ?? "/" }),
    connect_timeout: s.connectTimeout ?? 60000,
    read_timeout: s.readTimeout ?? 60000,
    write_timeout: s.writeTimeout ?? 60000,
    retries: s.retries ?? 5,
    tags,
  };
}

function writeUpstream(ir: IrService, tags: readonly string[], memo: KongWriterMemo): KongUpstream {
  const hostHeader = ir.settings.hostHeader;
  return {
    name: ir.upstreamName,
    algorithm: "round-robin",
    ...(hostHeader === undefined ? {} : { host_header: hostHeader }),
    tags,
    targets: weightedTargets(ir.backends, memo),
  };
}

/**
 * KIC's target weights (kic-conventions.md §2.5): an unweighted backend's endpoints weigh 100 each; a
 * weighted backend's share is split evenly over its endpoints (at least 1 each, 0 stays 0); an address
 * reached through several backends is one target with the summed weight.
 */
export function weightedTargets(
  backends: readonly IrBackend[],
  memo: KongWriterMemo,
): readonly KongTarget[] {
  const byAddress = new Map<string, { target: string; weight: number; tags: readonly string[] }>();
  for (const backend of backends) {
    const weight = endpointWeight(backend);
    for (const endpoint of backend.endpoints) {
      const existing = byAddress.get(endpoint.address);
      if (existing !== undefined) existing.weight += weight;
      else {
        const tags = memo.tags(endpoint.origin);
        byAddress.set(endpoint.address, { target: endpoint.address, weight, tags });
      }
    }
  }
  return [...byAddress.values()].sort((a, b) => compareStrings(a.target, b.target));
}

function endpointWeight(backend: IrBackend): number {
  if (backend.weight === undefined) return 100;
  if (backend.weight === 0) return 0;
  return Math.max(1, Math.floor(backend.weight / Math.max(1, backend.endpoints.length)));
}

function writeCertificate(c: IrCertificate, memo: KongWriterMemo): KongCertificate {
  const snis = [...c.snis]
    .sort((a, b) => compareStrings(a.name, b.name))
    .map(sni => ({ name: sni.name, tags: memo.tags(sni.origin) }));
  const signature = snis.map(({ name, tags }) => `${name}\u0000${tags.join(",")}`).join("\n");
  const previous = memo.certificates.get(c.origin.object);
  const e = previous?.entity;
  if (previous?.signature === signature && e?.id === c.id && e.cert === c.cert && e.key === c.key) {
    return e;
  }
  const entity: KongCertificate = {
    id: c.id,
    cert: c.cert,
    key: c.key,
    snis,
    tags: memo.tags(c.origin),
  };
  memo.certificates.set(c.origin.object, { signature, entity });
  return entity;
}

/** Whether two services differ only in their routes (the parts compared are memoised objects). */
function sameServiceBody(a: IrService, b: IrService): boolean {
  return (
    a.name === b.name &&
    a.upstreamName === b.upstreamName &&
    a.port === b.port &&
    sameOrigin(a.origin, b.origin) &&
    sameSettings(a.settings, b.settings) &&
    sameItems(a.backends, b.backends)
  );
}

function byName(a: { name: string }, b: { name: string }): number {
  return compareStrings(a.name, b.name);
}
