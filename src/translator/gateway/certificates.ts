/**
 * The certificates of our Gateways' HTTPS and terminating TLS listeners, into the same collector as
 * Ingress TLS (so a Secret both use is one Kong certificate with one id). A listener's certificate
 * serves its hostname; a listener without one serves the hostnames of the routes attached to it (KIC),
 * and `*` (Kong's default certificate) when one of them takes any host or none is attached yet.
 *
 * Kong keys a certificate by server name, so a name goes to one Secret: Ingresses first, then Gateways
 * oldest first, listeners in order; a listener's later certificateRefs (KIC serves only the first) and
 * names another Secret already serves are reported on the Gateway.
 */
import type { ResultSink } from "../results.ts";
import { compareAge, type CertificateCollector } from "../tls.ts";
import type { EvaluatedListener } from "./listeners.ts";
import type { GatewayApiEvaluation } from "./index.ts";

/** Kong's catch-all server name: its certificate answers handshakes no other name matches. */
const ANY_HOST = "*";

/** Per listener, the hostnames routes attached to it serve; `*` for a route that takes any host. */
function routeHostsByListener(
  evaluation: GatewayApiEvaluation,
): Map<EvaluatedListener, Set<string>> {
  const hosts = new Map<EvaluatedListener, Set<string>>();
  for (const route of evaluation.routes) {
    for (const a of route.parents.flatMap(p => p.attachments)) {
      const set = hosts.get(a.listener) ?? new Set<string>();
      for (const h of a.hostnames ?? [ANY_HOST]) set.add(h);
      hosts.set(a.listener, set);
    }
  }
  return hosts;
}

function servesTraffic(listener: EvaluatedListener): boolean {
  return (
    listener.accepted &&
    !listener.conditions.some(c => c.type === "Conflicted" && c.status === "True")
  );
}

export function addListenerCertificates(input: {
  readonly evaluation: GatewayApiEvaluation;
  readonly certificates: CertificateCollector;
  readonly results: ResultSink;
}): void {
  const { evaluation, certificates, results } = input;
  const routeHosts = routeHostsByListener(evaluation);
  const gateways = [...evaluation.gateways.values()].sort((a, b) =>
    compareAge(a.gateway, b.gateway),
  );
  for (const { gateway, listeners } of gateways) {
    for (const listener of listeners) {
      const [first, ...unused] = listener.certificates;
      if (first === undefined || !servesTraffic(listener)) continue;
      const hostname = listener.listener.hostname;
      const hosts =
        hostname === undefined || hostname === ""
          ? [...(routeHosts.get(listener) ?? [ANY_HOST])].sort()
          : [hostname];
      certificates.addListener(gateway, first, hosts);
      for (const secret of unused) {
        results.problem(
          gateway,
          "CertificateNotUsed",
          `listener ${listener.listener.name}: Secret ${secret.metadata.namespace ?? ""}/${secret.metadata.name} is not used; Kong serves one certificate per server name, the first valid certificateRef's`,
        );
      }
    }
  }
}
