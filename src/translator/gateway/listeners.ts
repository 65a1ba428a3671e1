/**
 * A Gateway of ours, listener by listener: which protocols and route kinds each takes, whether its
 * certificates resolve (ReferenceGrants for other namespaces), conflicts between listeners sharing a
 * port (KIC's rule: HTTP shares only with HTTP, HTTPS and TLS with each other, TCP and UDP with
 * nothing; the first listener on a port wins, a later one with the same hostname conflicts), and
 * whether Kong has a listen for it. That last answer comes from outside (Kong's `GET /`) and may be
 * unknown: then the listener is `Programmed=False/Pending`, never `UnsupportedProtocol` (incident d).
 */
import {
  GATEWAY_GROUP,
  type Gateway,
  type Listener,
  type ObjectReference,
} from "../../model/gateway-api.ts";
import type { Secret } from "../../model/k8s.ts";
import { readKeyPair } from "../tls.ts";
import {
  condition,
  type ConditionSpec,
  type GatewayStatusSpec,
  type ListenerStatusSpec,
  type RouteGroupKind,
} from "./conditions.ts";
import type { ReferenceGrants } from "./grants.ts";

/** What Kong's listens say about one Gateway listener (see src/kong/listeners.ts). */
export type ListenerSupport =
  | { readonly state: "programmable" }
  | { readonly state: "pending"; readonly message: string }
  | {
      readonly state: "unsupported";
      readonly reason: "UnsupportedProtocol" | "PortUnavailable";
      readonly message: string;
    };

/** Asks whether Kong can serve a listener; offline, every listener is assumed served. */
export type ListenerSupportOf = (listener: {
  readonly port: number;
  readonly protocol: string;
}) => ListenerSupport;

export const ASSUME_SUPPORTED: ListenerSupportOf = () => ({ state: "programmable" });

const KINDS_BY_PROTOCOL: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute", "GRPCRoute"],
  HTTPS: ["HTTPRoute", "GRPCRoute"],
  TLS: ["TLSRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
};

/** Listeners whose protocols may share a port. */
const PORT_CLASS: Readonly<Record<string, string>> = {
  HTTP: "http",
  HTTPS: "tls",
  TLS: "tls",
  TCP: "tcp",
  UDP: "udp",
};

export interface EvaluatedListener {
  readonly listener: Listener;
  /** `Accepted=True`: routes may attach. */
  readonly accepted: boolean;
  /**
   * Traffic may reach routes through it: accepted and not conflicted. Routes attached to a listener
   * that is not are counted and accepted, but get no Kong config through it.
   */
  readonly routable: boolean;
  readonly supportedKinds: readonly RouteGroupKind[];
  /** Valid certificate Secrets, in certificateRefs order (HTTPS and terminating TLS). */
  readonly certificates: readonly Secret[];
  readonly passthrough: boolean;
  /** Conditions before routes are counted. */
  readonly conditions: readonly ConditionSpec[];
}

export interface EvaluatedGateway {
  readonly gateway: Gateway;
  readonly listeners: readonly EvaluatedListener[];
}

export interface ListenerInputs {
  readonly grants: ReferenceGrants;
  readonly secret: (namespace: string, name: string) => Secret | undefined;
  readonly support: ListenerSupportOf;
}

interface Problem {
  readonly reason: string;
  readonly message: string;
}

function conflicts(listeners: readonly Listener[]): Map<string, Problem> {
  const out = new Map<string, Problem>();
  const byPort = new Map<number, Listener[]>();
  for (const l of listeners) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
  for (const [port, group] of byPort) {
    const first = group[0];
    if (first === undefined) continue;
    const winningClass = PORT_CLASS[first.protocol];
    const hostnames = new Set<string>();
    for (const l of group) {
      const sharesNothing = PORT_CLASS[l.protocol] === "tcp" || PORT_CLASS[l.protocol] === "udp";
      if (PORT_CLASS[l.protocol] !== winningClass || (sharesNothing && l !== first)) {
        out.set(l.name, {
          reason: "ProtocolConflict",
          message: `port ${port} is already used by listener ${first.name} with protocol ${first.protocol}`,
        });
        continue;
      }
      const host = l.hostname ?? "";
      if (hostnames.has(host))
        out.set(l.name, {
          reason: "HostnameConflict",
          message: `another listener on port ${port} uses hostname ${host === "" ? "(none)" : host}`,
        });
      hostnames.add(host);
    }
  }
  return out;
}

function routeKinds(listener: Listener): { kinds: RouteGroupKind[]; invalid: string[] } {
  const allowed = KINDS_BY_PROTOCOL[listener.protocol] ?? [];
  const asked = listener.allowedRoutes?.kinds;
  if (asked === undefined || asked.length === 0)
    return { kinds: allowed.map(kind => ({ group: GATEWAY_GROUP, kind })), invalid: [] };
  const kinds: RouteGroupKind[] = [];
  const invalid: string[] = [];
  for (const k of asked) {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && allowed.includes(k.kind)) kinds.push({ group, kind: k.kind });
    else invalid.push(group === "" ? k.kind : `${group}/${k.kind}`);
  }
  return { kinds, invalid };
}

function checkCertificateRef(
  ref: ObjectReference,
  gatewayNamespace: string,
  inputs: ListenerInputs,
): { readonly secret: Secret } | { readonly problem: Problem } {
  const namespace = ref.namespace ?? gatewayNamespace;
  const name = `${namespace}/${ref.name}`;
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Secret") !== "Secret")
    return {
      problem: {
        reason: "InvalidCertificateRef",
        message: `certificateRef ${ref.group ?? ""}/${ref.kind ?? ""} ${name}: only core Secrets are supported`,
      },
    };
  const permitted = inputs.grants.permits(
    { group: GATEWAY_GROUP, kind: "Gateway", namespace: gatewayNamespace },
    { group: "", kind: "Secret", namespace, name: ref.name },
  );
  if (!permitted)
    return {
      problem: {
        reason: "RefNotPermitted",
        message: `Secret ${name} is in another namespace and no ReferenceGrant there allows it`,
      },
    };
  const secret = inputs.secret(namespace, ref.name);
  if (secret === undefined)
    return {
      problem: { reason: "InvalidCertificateRef", message: `Secret ${name} does not exist` },
    };
  const pair = readKeyPair(secret);
  return pair.ok
    ? { secret }
    : { problem: { reason: "InvalidCertificateRef", message: `Secret ${name}: ${pair.message}` } };
}

/** The valid certificates of a listener, and the first problem among its certificateRefs. */
function certificatesOf(
  gateway: Gateway,
  listener: Listener,
  inputs: ListenerInputs,
): { certificates: Secret[]; problem?: Problem } {
  const refs = listener.tls?.certificateRefs ?? [];
  if (refs.length === 0)
    return {
      certificates: [],
      problem: { reason: "InvalidCertificateRef", message: "no certificateRefs given" },
    };
  const certificates: Secret[] = [];
  let problem: Problem | undefined;
  for (const ref of refs) {
    const checked = checkCertificateRef(ref, gateway.metadata.namespace ?? "", inputs);
    if ("secret" in checked) certificates.push(checked.secret);
    else problem ??= checked.problem;
  }
  return problem === undefined ? { certificates } : { certificates, problem };
}

/** Spec-level problems of a listener's own fields (before Kong is asked). */
function fieldProblem(listener: Listener): Problem | undefined {
  if (KINDS_BY_PROTOCOL[listener.protocol] === undefined)
    return {
      reason: "UnsupportedProtocol",
      message: `protocol ${listener.protocol} is not supported`,
    };
  const mode = listener.tls?.mode ?? "Terminate";
  if (listener.protocol === "HTTPS" && (listener.tls === undefined || mode !== "Terminate"))
    return {
      reason: "UnsupportedValue",
      message: "an HTTPS listener needs tls with mode Terminate and certificateRefs",
    };
  return undefined;
}

function needsCertificates(listener: Listener): boolean {
  if (listener.protocol === "HTTPS") return true;
  return listener.protocol === "TLS" && (listener.tls?.mode ?? "Terminate") === "Terminate";
}

function listenerConditions(c: {
  refusal: Problem | undefined;
  conflict: Problem | undefined;
  refProblem: Problem | undefined;
  support: ListenerSupport;
}): ConditionSpec[] {
  const accepted = c.refusal === undefined;
  const programmed =
    accepted &&
    c.refProblem === undefined &&
    c.conflict === undefined &&
    c.support.state === "programmable";
  let programmedCondition: ConditionSpec;
  if (programmed) programmedCondition = condition("Programmed", "True", "Programmed");
  else if (accepted && c.support.state === "pending")
    programmedCondition = condition("Programmed", "False", "Pending", c.support.message);
  else
    programmedCondition = condition(
      "Programmed",
      "False",
      "Invalid",
      "the listener is not valid: see its other conditions",
    );
  return [
    c.refusal === undefined
      ? condition("Accepted", "True", "Accepted")
      : condition("Accepted", "False", c.refusal.reason, c.refusal.message),
    c.conflict === undefined
      ? condition("Conflicted", "False", "NoConflicts")
      : condition("Conflicted", "True", c.conflict.reason, c.conflict.message),
    c.refProblem === undefined
      ? condition("ResolvedRefs", "True", "ResolvedRefs")
      : condition("ResolvedRefs", "False", c.refProblem.reason, c.refProblem.message),
    programmedCondition,
  ];
}

function evaluateListener(
  gateway: Gateway,
  listener: Listener,
  conflict: Problem | undefined,
  inputs: ListenerInputs,
): EvaluatedListener {
  const spec = fieldProblem(listener);
  const { kinds, invalid } = routeKinds(listener);
  const certs = needsCertificates(listener)
    ? certificatesOf(gateway, listener, inputs)
    : { certificates: [] };
  const kindProblem: Problem | undefined =
    invalid.length === 0
      ? undefined
      : {
          reason: "InvalidRouteKinds",
          message: `route kinds not supported here: ${invalid.join(", ")}`,
        };
  const support: ListenerSupport =
    spec === undefined ? inputs.support(listener) : { state: "programmable" };
  const refusal = spec ?? (support.state === "unsupported" ? support : undefined);
  return {
    listener,
    accepted: refusal === undefined,
    routable: refusal === undefined && conflict === undefined,
    supportedKinds: kinds,
    certificates: certs.certificates,
    passthrough: listener.protocol === "TLS" && listener.tls?.mode === "Passthrough",
    conditions: listenerConditions({
      refusal,
      conflict,
      refProblem: kindProblem ?? certs.problem,
      support,
    }),
  };
}

export function evaluateGateway(gateway: Gateway, inputs: ListenerInputs): EvaluatedGateway {
  const conflicted = conflicts(gateway.spec.listeners);
  return {
    gateway,
    listeners: gateway.spec.listeners.map(l =>
      evaluateListener(gateway, l, conflicted.get(l.name), inputs),
    ),
  };
}

/** The Gateway's own conditions and its listeners', once routes are counted. */
export function gatewayStatus(
  evaluated: EvaluatedGateway,
  attachedRoutes: (listener: EvaluatedListener) => number,
): GatewayStatusSpec {
  const { gateway, listeners } = evaluated;
  const accepted = listeners.filter(l => l.accepted).length;
  const programmed = listeners.filter(l =>
    l.conditions.some(c => c.type === "Programmed" && c.status === "True"),
  ).length;
  const pending = listeners.some(l =>
    l.conditions.some(c => c.type === "Programmed" && c.reason === "Pending"),
  );
  const all = listeners.length;
  const conditions = [
    accepted === 0
      ? condition("Accepted", "False", "ListenersNotValid", "no listener is valid")
      : condition(
          "Accepted",
          "True",
          accepted === all ? "Accepted" : "ListenersNotValid",
          accepted === all ? "" : `${all - accepted} of ${all} listeners are not valid`,
        ),
    programmed > 0
      ? condition("Programmed", "True", "Programmed")
      : pending
        ? condition("Programmed", "False", "Pending", "waiting for Kong to report its listeners")
        : condition("Programmed", "False", "Invalid", "no listener can be programmed"),
  ];
  const listenerStatuses: ListenerStatusSpec[] = listeners.map(l => ({
    name: l.listener.name,
    supportedKinds: l.supportedKinds,
    attachedRoutes: attachedRoutes(l),
    conditions: l.conditions,
  }));
  return {
    namespace: gateway.metadata.namespace ?? "",
    name: gateway.metadata.name,
    generation: gateway.metadata.generation,
    conditions,
    listeners: listenerStatuses,
  };
}
