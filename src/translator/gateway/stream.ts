/**
 * TCPRoute, UDPRoute and TLSRoute to Kong stream routes (kic-conventions.md §3.5): one Kong service per
 * rule, `<kind>.<namespace>.<name>.<rule>` (protocol tcp, or udp), with the rule's backends weighted;
 * one route `<service>.0`. TCP and UDP routes match the ports of the listeners they attached to
 * (`destinations`); TLS routes match their hostnames (`snis`), passed through (`tls_passthrough`) or
 * terminated (`tls`) as the listener says. Where several TCP or UDP routes attach to one listener, only
 * the oldest receives its traffic (the spec's rule); the others stay accepted.
 */
import type { StreamRouteRule } from "../../model/gateway-api.ts";
import type { BackendSpec, IrStreamRoute, RouteEmission, StreamAddress } from "../ir/types.ts";
import { compareAge } from "../tls.ts";
import type { RouteContext } from "./routes.ts";
import { ruleTags } from "./shared.ts";

function listenerKey(a: RouteContext["attachments"][number]): string {
  const gw = a.gateway.gateway.metadata;
  return `${gw.namespace ?? ""}/${gw.name}/${a.listener.listener.name}`;
}

/** Per TCP/UDP listener, the route that gets its traffic: the oldest (then namespace/name). */
function portOwners(routes: readonly RouteContext[]): Map<string, RouteContext> {
  const owners = new Map<string, RouteContext>();
  const sorted = [...routes].sort((a, b) => compareAge(a.evaluated.route, b.evaluated.route));
  for (const ctx of sorted) {
    if (ctx.evaluated.route.kind === "TLSRoute") continue;
    for (const a of ctx.attachments) {
      const key = listenerKey(a);
      if (!owners.has(key)) owners.set(key, ctx);
    }
  }
  return owners;
}

function backendsOf(ctx: RouteContext, ruleIndex: number): BackendSpec[] {
  const out: BackendSpec[] = [];
  for (const b of ctx.evaluated.backends[ruleIndex] ?? []) {
    if (b.ok) out.push({ service: b.service, port: b.port, weight: b.weight });
  }
  return out;
}

function emitRule(
  ctx: RouteContext,
  rule: StreamRouteRule,
  ruleIndex: number,
  owned: readonly RouteContext["attachments"][number][],
): RouteEmission | undefined {
  const route = ctx.evaluated.route;
  const kind = route.kind.toLowerCase();
  const name = `${kind}.${route.metadata.namespace ?? ""}.${route.metadata.name}.${ruleIndex}`;
  const origin = { object: route, tags: ruleTags(rule) };
  let ir: IrStreamRoute;
  if (route.kind === "TLSRoute") {
    const snis = [...new Set(owned.flatMap(a => a.hostnames ?? []))].sort();
    if (snis.length === 0) return undefined;
    const passthrough = owned.some(a => a.listener.passthrough);
    ir = {
      kind: "stream",
      name: `${name}.0`,
      origin,
      protocols: [passthrough ? "tls_passthrough" : "tls"],
      snis,
    };
  } else {
    const ports = [...new Set(owned.map(a => a.listener.listener.port))].sort((a, b) => a - b);
    if (ports.length === 0) return undefined;
    const destinations: StreamAddress[] = ports.map(port => ({ port }));
    ir = {
      kind: "stream",
      name: `${name}.0`,
      origin,
      protocols: [route.kind === "UDPRoute" ? "udp" : "tcp"],
      destinations,
    };
  }
  return {
    route: ir,
    service: {
      name,
      upstreamName: name,
      origin,
      backends: backendsOf(ctx, ruleIndex),
      settings: { protocol: route.kind === "UDPRoute" ? "udp" : "tcp" },
    },
  };
}

export function translateStreamRoutes(routes: readonly RouteContext[]): RouteEmission[] {
  const owners = portOwners(routes);
  const emissions: RouteEmission[] = [];
  for (const ctx of routes) {
    const route = ctx.evaluated.route;
    if (route.kind !== "TCPRoute" && route.kind !== "UDPRoute" && route.kind !== "TLSRoute")
      continue;
    const owned =
      route.kind === "TLSRoute"
        ? ctx.attachments
        : ctx.attachments.filter(a => owners.get(listenerKey(a)) === ctx);
    for (const a of ctx.attachments) {
      const owner = owners.get(listenerKey(a));
      if (owner === undefined || owner === ctx) continue;
      const other = owner.evaluated.route.metadata;
      ctx.results.problem(
        route,
        "ListenerInUse",
        `listener ${listenerKey(a)} sends its traffic to the older ${owner.evaluated.route.kind} ${other.namespace ?? ""}/${other.name}`,
      );
    }
    route.spec.rules.forEach((rule, i) => {
      const e = emitRule(ctx, rule, i, owned);
      if (e !== undefined) emissions.push(e);
    });
  }
  return emissions;
}
