/**
 * Which listeners Kong really has, read from `GET /` of every ready Kong (kong-admin-api.md §4), and what
 * that means for one Gateway listener. Pure: sender/listener-discovery.ts does the asking.
 *
 * The rule of incident d (KIC #7015, #7822): an answer we do not have is never read as "Kong has no
 * listeners". The view is `unknown` until every ready Kong has answered and they agree, and an unknown
 * view only ever makes a Gateway listener pending, never `UnsupportedProtocol` or `PortUnavailable`.
 */
import type { ServicePort } from "../model/k8s.ts";
import type { RootInfo } from "./responses.ts";

/** One entry of Kong's `proxy_listeners` (HTTP and HTTPS traffic). */
export interface KongProxyListener {
  readonly port: number;
  readonly ssl: boolean;
  readonly http2: boolean;
}

/** One entry of Kong's `stream_listeners` (TCP, TLS and UDP traffic). */
export interface KongStreamListener {
  readonly port: number;
  readonly ssl: boolean;
  readonly udp: boolean;
}

/**
 * The listeners of one Kong, in a canonical order (port, then flags) without duplicates: Kong lists a
 * port once per address (`0.0.0.0:8000` and `[::]:8000`), which says nothing more about what it serves.
 */
export interface KongListeners {
  readonly proxy: readonly KongProxyListener[];
  readonly stream: readonly KongStreamListener[];
}

/**
 * What the controller knows of Kong's listeners. `known` with two empty lists is "known-empty": every
 * ready Kong said it has no listener, which is a fact; `unknown` is the absence of one.
 */
export type KongListenersView =
  | { readonly state: "unknown"; readonly reason: string }
  | { readonly state: "known"; readonly listeners: KongListeners };

/** The three states REQ-D1 names, as logs and metrics spell them. */
export type KongListenersState = "unknown" | "known_empty" | "known";

export function listenersState(view: KongListenersView): KongListenersState {
  if (view.state === "unknown") return "unknown";
  const { proxy, stream } = view.listeners;
  return proxy.length === 0 && stream.length === 0 ? "known_empty" : "known";
}

/** What one Kong's `GET /` says about its listeners. */
export type RootListeners =
  | { readonly ok: true; readonly listeners: KongListeners }
  | { readonly ok: false; readonly reason: string };

/** Reads the listeners out of a parsed `GET /` answer. */
export function listenersFromRoot(root: RootInfo): RootListeners {
  const { role, proxy_listeners: proxy, stream_listeners: stream } = root.configuration;
  // A hybrid-mode control plane reports empty lists of its own; they say nothing of the data planes
  // that carry the traffic (KIC #7822).
  if (role === "control_plane") {
    return {
      ok: false,
      reason: "is a hybrid-mode control plane, whose listeners carry no traffic",
    };
  }
  if (proxy === undefined || stream === undefined) {
    const missing = proxy === undefined ? "proxy_listeners" : "stream_listeners";
    return { ok: false, reason: `did not report configuration.${missing}` };
  }
  return {
    ok: true,
    listeners: {
      proxy: canonical(
        proxy.map(l => ({ port: l.port, ssl: l.ssl, http2: l.http2 })),
        l => [l.port, l.ssl, l.http2],
      ),
      stream: canonical(
        stream.map(l => ({ port: l.port, ssl: l.ssl, udp: l.udp })),
        l => [l.port, l.ssl, l.udp],
      ),
    },
  };
}

function canonical<T>(items: readonly T[], key: (item: T) => [number, boolean, boolean]): T[] {
  const byKey = new Map<string, { sort: [number, boolean, boolean]; item: T }>();
  for (const item of items) {
    const sort = key(item);
    byKey.set(sort.join(","), { sort, item });
  }
  return [...byKey.values()].sort((a, b) => compareKeys(a.sort, b.sort)).map(entry => entry.item);
}

function compareKeys(a: [number, boolean, boolean], b: [number, boolean, boolean]): number {
  return a[0] - b[0] || Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]);
}

export function sameListeners(a: KongListeners, b: KongListeners): boolean {
  return describeListeners(a) === describeListeners(b);
}

export function sameView(a: KongListenersView, b: KongListenersView): boolean {
  if (a.state === "unknown") return b.state === "unknown" && a.reason === b.reason;
  return b.state === "known" && sameListeners(a.listeners, b.listeners);
}

/** `proxy 8000, 8443 ssl http2; stream 9000 udp`: for logs, reasons and comparisons. */
export function describeListeners(listeners: KongListeners): string {
  const flagged = (port: number, flags: readonly [boolean, string][]): string =>
    [String(port), ...flags.filter(([on]) => on).map(([, name]) => name)].join(" ");
  const proxy = listeners.proxy.map(l =>
    flagged(l.port, [
      [l.ssl, "ssl"],
      [l.http2, "http2"],
    ]),
  );
  const stream = listeners.stream.map(l =>
    flagged(l.port, [
      [l.udp, "udp"],
      [l.ssl, "ssl"],
    ]),
  );
  const list = (items: readonly string[]): string =>
    items.length === 0 ? "none" : items.join(", ");
  return `proxy ${list(proxy)}; stream ${list(stream)}`;
}

/** What the discovery knows about one ready Kong. */
export interface KongListenersReport {
  /** The Admin API's display URL. */
  readonly url: string;
  /**
   * Its last answer, kept while it restarts: a Kong that comes back counts with it until it answers
   * again. Undefined until it has answered once.
   */
  readonly listeners?: KongListeners;
  /** Why its latest `GET /` failed, when it did and it has not answered since it became ready. */
  readonly failure?: string;
}

/**
 * The view of several ready Kongs' answers: known only when every one of them has answered and they
 * all agree (KIC requires identical lists from every replica too). No ready Kong, a failed or timed-out
 * `GET /`, a Kong that has not answered yet, or replicas that disagree (a rollout that changes the
 * listens) are all `unknown`, each with its reason.
 */
export function mergeKongListeners(ready: readonly KongListenersReport[]): KongListenersView {
  if (ready.length === 0) return { state: "unknown", reason: "no Kong is ready" };
  const failed = ready.filter(r => r.failure !== undefined);
  if (failed.length > 0) {
    const reasons = failed.map(r => `GET / of ${r.url} failed: ${r.failure ?? ""}`);
    return { state: "unknown", reason: reasons.join("; ") };
  }
  const silent = ready.filter(r => r.listeners === undefined);
  if (silent.length > 0) {
    return {
      state: "unknown",
      reason: `${silent.map(r => r.url).join(", ")} ${silent.length === 1 ? "has" : "have"} not answered GET / yet`,
    };
  }
  const answers = new Map<string, string[]>();
  for (const report of ready) {
    if (report.listeners === undefined) continue;
    const text = describeListeners(report.listeners);
    answers.set(text, [...(answers.get(text) ?? []), report.url]);
  }
  const first = ready[0]?.listeners;
  if (answers.size === 1 && first !== undefined) return { state: "known", listeners: first };
  const accounts = [...answers].map(([text, urls]) => `${urls.join(", ")}: ${text}`);
  return { state: "unknown", reason: `ready Kongs disagree (${accounts.join(" | ")})` };
}

/** The Gateway listener protocols Kong can serve; anything else is the translator's to refuse. */
export type GatewayListenerProtocol = "HTTP" | "HTTPS" | "TLS" | "TCP" | "UDP";

const PROTOCOLS: ReadonlySet<string> = new Set(["HTTP", "HTTPS", "TLS", "TCP", "UDP"]);

/** Narrows a Gateway listener's `protocol` (any string in the spec) to one Kong can serve. */
export function isGatewayListenerProtocol(protocol: string): protocol is GatewayListenerProtocol {
  return PROTOCOLS.has(protocol);
}

/** The part of a Gateway listener that listener discovery decides on. */
export interface GatewayListenerPort {
  readonly port: number;
  readonly protocol: GatewayListenerProtocol;
}

/**
 * The Service whose ports expose Kong's listens (`--publish-service`; for UDP listeners the UDP one when
 * the caller has a separate one):
 * - `none`: not configured. The Gateway's ports cannot be mapped to Kong's, so a listener is
 *   programmable when Kong has any listener of its protocol (and never `PortUnavailable`); an external
 *   load balancer named by `--publish-status-address` may map ports any way it likes.
 * - `missing`: configured but not (yet) in the cluster: pending, as it may be created any moment.
 * - `service`: its `spec.ports`; `resolvedTargetPorts` maps a Service port's name to the number its
 *   named `targetPort` resolves to (EndpointSlices carry it), when the caller knows it.
 */
export type PublishService =
  | { readonly kind: "none" }
  | { readonly kind: "missing"; readonly name: string }
  | {
      readonly kind: "service";
      readonly name: string;
      readonly ports: readonly ServicePort[];
      readonly resolvedTargetPorts?: ReadonlyMap<string, number>;
    };

export type ListenerProgrammability =
  | { readonly programmable: true }
  | {
      readonly programmable: false;
      readonly reason: "UnsupportedProtocol" | "PortUnavailable";
      readonly message: string;
    }
  | { readonly pending: true; readonly message: string };

const NEEDS: Readonly<Record<GatewayListenerProtocol, string>> = {
  HTTP: "a proxy listener without ssl",
  HTTPS: "a proxy listener with ssl",
  TLS: "a stream listener with ssl",
  TCP: "a stream listener without ssl or udp",
  UDP: "a udp stream listener",
};

// KIC's messages (gateway_utils.go), followed by what was looked for and found.
const UNSUPPORTED = "no Kong listen with the requested protocol is configured";
const UNAVAILABLE =
  "no Kong listen with the requested protocol is configured for the requested port";

/**
 * Whether Kong can serve one Gateway listener, the way KIC matches them (kic-conventions.md §3.2): the
 * listener's port is a port of the publish Service; that port's `targetPort` is the Kong listen port;
 * and the Kong listener there has the listener's protocol: HTTP a proxy listener without ssl, HTTPS a
 * proxy listener with ssl, TLS a stream listener with ssl, TCP a stream listener without ssl or udp
 * (an ssl one terminates TLS, which a TCPRoute does not expect), UDP a udp stream listener behind a
 * Service port of protocol UDP (HTTP, HTTPS, TLS and TCP behind TCP ones). `UnsupportedProtocol` when
 * no Service port leads to a Kong listener of that protocol at all, `PortUnavailable` when some do but
 * not the listener's port. An unknown view is always pending.
 */
export function listenerProgrammability(
  view: KongListenersView,
  publish: PublishService,
  listener: GatewayListenerPort,
): ListenerProgrammability {
  if (view.state === "unknown") {
    return { pending: true, message: `waiting for Kong's listeners: ${view.reason}` };
  }
  const kong = view.listeners;
  const { protocol } = listener;
  if (publish.kind === "missing") {
    return { pending: true, message: `waiting for the publish Service ${publish.name}` };
  }
  if (publish.kind === "none") {
    if (kongServes(kong, protocol, undefined)) return { programmable: true };
    return unsupported(`${protocol} needs ${NEEDS[protocol]}; Kong has ${describeListeners(kong)}`);
  }
  const transport = protocol === "UDP" ? "UDP" : "TCP";
  const ports = publish.ports
    .filter(p => (p.protocol ?? "TCP") === transport)
    .map(p => ({ port: p, target: targetPortOf(p, publish.resolvedTargetPorts) }));
  const onPort = ports.filter(p => p.port.port === listener.port);
  if (onPort.some(p => p.target !== undefined && kongServes(kong, protocol, p.target))) {
    return { programmable: true };
  }
  const unresolved = onPort.find(p => p.target === undefined);
  if (unresolved !== undefined) return pendingNamedPort(publish.name, unresolved.port);
  const elsewhere = ports.filter(
    p => p.target !== undefined && kongServes(kong, protocol, p.target),
  );
  if (elsewhere.length > 0) {
    const served = elsewhere.map(p => p.port.port).join(", ");
    return {
      programmable: false,
      reason: "PortUnavailable",
      message: `${UNAVAILABLE}: ${portDetail(publish.name, listener, onPort, kong)}; ${protocol} is served on ${publish.name} port ${served}`,
    };
  }
  const anyUnresolved = ports.find(p => p.target === undefined);
  if (anyUnresolved !== undefined) return pendingNamedPort(publish.name, anyUnresolved.port);
  return unsupported(
    `${protocol} needs ${NEEDS[protocol]} behind a ${transport} port of ${publish.name}; Kong has ${describeListeners(kong)}`,
  );
}

function unsupported(detail: string): ListenerProgrammability {
  return {
    programmable: false,
    reason: "UnsupportedProtocol",
    message: `${UNSUPPORTED}: ${detail}`,
  };
}

function pendingNamedPort(service: string, port: ServicePort): ListenerProgrammability {
  return {
    pending: true,
    message: `waiting for ${service} port ${port.port}'s named targetPort "${String(port.targetPort)}" to resolve`,
  };
}

function portDetail(
  service: string,
  listener: GatewayListenerPort,
  onPort: readonly { port: ServicePort; target: number | undefined }[],
  kong: KongListeners,
): string {
  const transport = listener.protocol === "UDP" ? "UDP" : "TCP";
  if (onPort.length === 0) return `${service} has no ${transport} port ${listener.port}`;
  const targets = onPort.map(p => String(p.target)).join(", ");
  return `${service} port ${listener.port} leads to Kong port ${targets}, which is not ${NEEDS[listener.protocol]} (Kong has ${describeListeners(kong)})`;
}

/** The Kong port behind a Service port, or undefined for a named one nobody resolved. */
function targetPortOf(
  port: ServicePort,
  resolved: ReadonlyMap<string, number> | undefined,
): number | undefined {
  const target = port.targetPort;
  // The API server defaults targetPort to port; a Service read from a file may not have it.
  if (target === undefined) return port.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  return port.name === undefined ? undefined : resolved?.get(port.name);
}

/** Whether Kong has a listener for `protocol`, on `port` when given. */
function kongServes(
  kong: KongListeners,
  protocol: GatewayListenerProtocol,
  port: number | undefined,
): boolean {
  const at = (l: { port: number }): boolean => port === undefined || l.port === port;
  switch (protocol) {
    case "HTTP":
      return kong.proxy.some(l => at(l) && !l.ssl);
    case "HTTPS":
      return kong.proxy.some(l => at(l) && l.ssl);
    case "TLS":
      return kong.stream.some(l => at(l) && l.ssl && !l.udp);
    case "TCP":
      return kong.stream.some(l => at(l) && !l.ssl && !l.udp);
    case "UDP":
      return kong.stream.some(l => at(l) && l.udp);
  }
}
