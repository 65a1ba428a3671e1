/** IR routes for Ingress-derived routes: the route's matches plus the annotation overrides. */
import type { KongProtocol } from "../kong/types.ts";
import type { Ingress } from "../model/k8s.ts";
import { definedFields, type RouteOverrides } from "./annotations.ts";
import type {
  HeaderMatch,
  HttpMatch,
  IrHttpRoute,
  Origin,
  PathMatch,
  RouteSettings,
} from "./ir/types.ts";
import { isGrpcOnly } from "./kong-writer/routes.ts";
import { routeProblems } from "../kong/validate/fields.ts";

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

export function buildRoute(draft: RouteDraft, o: RouteOverrides): BuiltRoute {
  const protocols = o.protocols ?? draft.protocols;
  const grpc = isGrpcOnly(protocols);
  const refused = refusedCriteria(o, protocols);
  const match: HttpMatch = {
    hosts: [...new Set([...draft.hosts, ...o.hostAliases])],
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
    filters: [],
  };
  const dropped = [...refused].map(
    ([field, message]) => `${CRITERIA[field]} (Kong refuses it: ${message})`,
  );
  return { route, dropped };
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
): Map<Criterion, string> {
  const refused = new Map<Criterion, string>();
  const given: Partial<Record<Criterion, unknown>> = {
    ...(o.methods === undefined ? {} : { methods: o.methods }),
    ...(o.stripPath === undefined ? {} : { strip_path: o.stripPath }),
    ...(o.snis === undefined || o.snis.length === 0 ? {} : { snis: o.snis }),
  };
  for (const [field, value] of Object.entries(given) as [Criterion, unknown][]) {
    const record = { protocols: protocols ?? ["http", "https"], paths: ["/"], [field]: value };
    const problems = routeProblems(record);
    const message = problems.fields[field] ?? problems.entity[0];
    if (message !== undefined) refused.set(field, message);
  }
  return refused;
}
