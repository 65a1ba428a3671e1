/** IR routes for Ingress-derived routes: the route's matches plus the annotation overrides. */
import type { KongProtocol } from "../kong/types.ts";
import type { Ingress } from "../model/k8s.ts";
import { BoundedMap } from "../util/bounded-map.ts";
import { definedFields, STREAM_PROTOCOLS, type RouteOverrides } from "./annotations.ts";
import type {
  HeaderMatch,
  HttpFilter,
  HttpMatch,
  IrHttpRoute,
  IrStreamRoute,
  Origin,
  PathMatch,
  RouteSettings,
} from "./ir/types.ts";
import { isGrpcOnly } from "./kong-writer/routes.ts";
import { routeProblems, routeSniProblem } from "../kong/validate/fields.ts";

export interface RouteDraft {
  readonly name: string;
  /** `routeOrigin` of the Ingress: one object shared by its routes. */
  readonly origin: Origin;
  readonly hosts: readonly string[];
  readonly paths: readonly PathMatch[];
  /** Explicit protocols for routes KIC creates with them (the default backend). */
  readonly protocols?: readonly KongProtocol[];
}

export interface BuiltRoute {
  readonly route: IrHttpRoute;
  /** Annotation values Kong would reject for this route's protocols; they are dropped. */
  readonly dropped: readonly string[];
}

/** An Ingress's routes are tagged with it and its `konghq.com/tags`. */
export function routeOrigin(ingress: Ingress, o: RouteOverrides): Origin {
  return o.tags.length === 0 ? { object: ingress } : { object: ingress, tags: o.tags };
}

export function buildRoute(
  draft: RouteDraft,
  o: RouteOverrides,
  verdicts: CriterionVerdicts = new CriterionVerdicts(),
): BuiltRoute {
  const protocols = o.protocols ?? draft.protocols;
  const grpc = isGrpcOnly(protocols);
  const refused = refusedCriteria(o, protocols, verdicts);
  const match: HttpMatch = {
    // Without aliases, a rule's one host (or none) needs no de-duplicating copy.
    hosts:
      o.hostAliases.length === 0 && draft.hosts.length <= 1
        ? draft.hosts
        : [...new Set([...draft.hosts, ...o.hostAliases])],
    paths: draft.paths,
    ...(protocols === undefined ? {} : { protocols }),
    ...(o.methods === undefined || refused.has("methods") ? {} : { methods: o.methods }),
    ...(o.headers === undefined ? {} : { headers: headerMatches(o.headers) }),
    ...(o.snis === undefined || o.snis.length === 0 || refused.has("snis") ? {} : { snis: o.snis }),
  };
  const route: IrHttpRoute = {
    kind: "http",
    name: draft.name,
    origin: draft.origin,
    match,
    settings: routeSettings(o, grpc),
    filters: o.rewrite === undefined ? NO_FILTERS : [rewriteFilter(o.rewrite)],
  };
  const dropped = [...refused].map(
    ([field, message]) => `${CRITERIA[field]} (Kong refuses it: ${message})`,
  );
  return { route, dropped };
}

/** One empty list for every route without a rewrite: each route is kept while its Ingress is unchanged. */
const NO_FILTERS: readonly HttpFilter[] = Object.freeze([]);

/** KIC's `konghq.com/rewrite`: the request-transformer replaces the upstream path with the template. */
function rewriteFilter(template: string): HttpFilter {
  return { kind: "urlRewrite", path: { kind: "full", value: template } };
}

/** Whether the route's protocols make it one of Kong's stream routes (tcp, tls, tls_passthrough). */
export function isStreamDraft(draft: RouteDraft, o: RouteOverrides): boolean {
  const protocols = o.protocols ?? draft.protocols;
  return protocols !== undefined && protocols.some(p => STREAM_PROTOCOLS.has(p));
}

export interface BuiltStreamRoute {
  readonly route: IrStreamRoute | undefined;
  /** Why the route is left out, when it is. */
  readonly missing?: string;
  /** Annotations and criteria a stream route cannot use; they are dropped. */
  readonly dropped: readonly string[];
}

/**
 * An Ingress route whose `konghq.com/protocols` are tcp, tls or tls_passthrough: a Kong stream route,
 * which matches on SNIs only. They come from `konghq.com/snis`, else the rule's host and host-aliases
 * (what a TLS client names); the paths and HTTP-only annotations cannot apply and are reported.
 */
export function buildStreamRoute(draft: RouteDraft, o: RouteOverrides): BuiltStreamRoute {
  const protocols = (o.protocols ?? []).filter((p): p is IrStreamRoute["protocols"][number] =>
    STREAM_PROTOCOLS.has(p),
  );
  const dropped = streamDropped(draft, o);
  const snis = o.snis !== undefined && o.snis.length > 0 ? o.snis : sniFromHosts(draft, o, dropped);
  const tlsCapable = protocols.some(p => p !== "tcp");
  if (!tlsCapable || snis.length === 0) {
    const missing = tlsCapable
      ? "a tls or tls_passthrough route matches on SNIs: give the rule a host or set konghq.com/snis"
      : "a tcp route matches on destination ports, which an Ingress cannot name: use a TCPRoute, or tls with SNIs";
    return { route: undefined, missing, dropped };
  }
  const route: IrStreamRoute = {
    kind: "stream",
    name: draft.name,
    origin: draft.origin,
    protocols,
    snis,
  };
  return { route, dropped };
}

/**
 * A host or host-alias may name a port or an IP, which Kong refuses as an SNI (and with it the whole
 * config): such an entry is left out of the SNIs and reported.
 */
function sniFromHosts(draft: RouteDraft, o: RouteOverrides, dropped: string[]): string[] {
  const snis: string[] = [];
  for (const host of new Set([...draft.hosts, ...o.hostAliases])) {
    const problem = routeSniProblem(host);
    if (problem === undefined) snis.push(host);
    else
      dropped.push(
        `SNI "${host}" from the rule's host or konghq.com/host-aliases (Kong refuses it: ${problem})`,
      );
  }
  return snis;
}

function streamDropped(draft: RouteDraft, o: RouteOverrides): string[] {
  const dropped: string[] = [];
  const onlyRoot = draft.paths.every(p => p.kind === "prefix" && p.value === "/");
  if (!onlyRoot) dropped.push("paths (tcp and tls routes cannot match on paths)");
  const httpOnly: [string, unknown][] = [
    ["konghq.com/methods", o.methods],
    ["konghq.com/headers.*", o.headers],
    ["konghq.com/strip-path", o.stripPath],
    ["konghq.com/rewrite", o.rewrite],
    ["konghq.com/https-redirect-status-code", o.httpsRedirectStatusCode],
  ];
  for (const [name, value] of httpOnly) {
    if (value !== undefined) dropped.push(`${name} (tcp and tls routes are not HTTP)`);
  }
  return dropped;
}

const SETTINGS = [
  "stripPath",
  "preserveHost",
  "regexPriority",
  "httpsRedirectStatusCode",
  "pathHandling",
  "requestBuffering",
  "responseBuffering",
] as const satisfies readonly (keyof RouteSettings & keyof RouteOverrides)[];

/** Kong refuses `strip_path` on gRPC routes. */
const GRPC_SETTINGS = SETTINGS.filter(key => key !== "stripPath");

/** The annotations' route settings. */
function routeSettings(o: RouteOverrides, grpc: boolean): RouteSettings {
  return definedFields(o, grpc ? GRPC_SETTINGS : SETTINGS);
}

function headerMatches(headers: Readonly<Record<string, readonly string[]>>): HeaderMatch[] {
  return Object.entries(headers).map(([name, values]) => ({ name, kind: "exact", values }));
}

/** Route criteria set by annotations that Kong may refuse in combination with the protocols. */
const CRITERIA = {
  methods: "konghq.com/methods",
  strip_path: "konghq.com/strip-path",
  snis: "konghq.com/snis",
} as const;

type Criterion = keyof typeof CRITERIA;

/**
 * The annotation criteria Kong's route schema refuses with these protocols (`methods` or `strip_path`
 * on gRPC, `snis` without TLS), each judged alone on a route that otherwise passes, with Kong's message.
 */
function refusedCriteria(
  o: RouteOverrides,
  protocols: readonly KongProtocol[] | undefined,
  verdicts: CriterionVerdicts,
): ReadonlyMap<Criterion, string> {
  let refused: Map<Criterion, string> | undefined;
  const judge = (field: Criterion, value: unknown): void => {
    const message = verdicts.verdict(field, value, protocols);
    if (message !== undefined) (refused ??= new Map()).set(field, message);
  };
  if (o.methods !== undefined) judge("methods", o.methods);
  if (o.stripPath !== undefined) judge("strip_path", o.stripPath);
  if (o.snis !== undefined && o.snis.length > 0) judge("snis", o.snis);
  return refused ?? NOTHING_REFUSED;
}

const NOTHING_REFUSED: ReadonlyMap<Criterion, string> = new Map();

/**
 * Kong's verdict on one annotation criterion with the route's protocols. Judging it builds and checks
 * a whole route record, and it is the same for every route with the same value and protocols (most
 * Ingresses set `strip-path` alike): judged once per value while this is kept (a translator's memo).
 * Bounded, since the values come from users' annotations.
 */
export class CriterionVerdicts {
  static readonly LIMIT = 1024;
  /** `null`: Kong takes it. */
  readonly #known = new BoundedMap<string, string | null>(CriterionVerdicts.LIMIT);

  verdict(
    field: Criterion,
    value: unknown,
    protocols: readonly KongProtocol[] | undefined,
  ): string | undefined {
    const key = `${field}\u0000${protocols === undefined ? "" : protocols.join(",")}\u0000${JSON.stringify(value)}`;
    const known = this.#known.get(key);
    if (known !== undefined) return known ?? undefined;
    const record = { protocols: protocols ?? ["http", "https"], paths: ["/"], [field]: value };
    const problems = routeProblems(record);
    const message = problems.fields[field] ?? problems.entity[0];
    this.#known.set(key, message ?? null);
    return message;
  }
}
