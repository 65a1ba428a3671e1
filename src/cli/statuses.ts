/**
 * The Gateway API statuses an offline translation decides, as `kongress translate --status` prints them
 * (each object's `status` as the controller would write it, without times) and as problem lines: a
 * route that does not attach, a listener or class that is not accepted, a reference that does not
 * resolve, so that a CI pipeline fails before the manifests reach a cluster.
 */
import type { ConditionSpec } from "../translator/gateway/conditions.ts";
import type { GatewayApiStatuses } from "../translator/types.ts";

const conditions = (list: readonly ConditionSpec[]) =>
  list.map(c => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }));

/** One entry per object of ours, in a shape close to what `kubectl get -o yaml` shows. */
export function statusView(statuses: GatewayApiStatuses, controllerName: string): object[] {
  return [
    ...statuses.classes.map(c => ({
      kind: "GatewayClass",
      name: c.name,
      status: {
        conditions: conditions(c.conditions),
        supportedFeatures: c.supportedFeatures.map(name => ({ name })),
      },
    })),
    ...statuses.gateways.map(g => ({
      kind: "Gateway",
      namespace: g.namespace,
      name: g.name,
      status: {
        conditions: conditions(g.conditions),
        listeners: g.listeners.map(l => ({
          name: l.name,
          supportedKinds: l.supportedKinds,
          attachedRoutes: l.attachedRoutes,
          conditions: conditions(l.conditions),
        })),
      },
    })),
    ...statuses.routes
      .filter(r => r.parents.length > 0)
      .map(r => ({
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        status: {
          parents: r.parents.map(p => ({
            parentRef: p.parentRef,
            controllerName,
            conditions: conditions(p.conditions),
          })),
        },
      })),
  ];
}

const failing = (list: readonly ConditionSpec[]) =>
  list.filter(c => c.status === "False" && c.type !== "Conflicted");

/** One line per condition that says something of ours does not work: `KIND NS/NAME: ...`. */
export function statusProblems(statuses: GatewayApiStatuses): string[] {
  const lines: string[] = [];
  for (const c of statuses.classes)
    for (const f of failing(c.conditions))
      lines.push(`GatewayClass ${c.name}: ${f.type}=False ${f.reason}: ${f.message}`);
  for (const g of statuses.gateways) {
    for (const l of g.listeners) {
      const bad = [
        ...failing(l.conditions).filter(c => c.type !== "Programmed"),
        ...l.conditions.filter(c => c.type === "Conflicted" && c.status === "True"),
      ];
      for (const f of bad)
        lines.push(
          `Gateway ${g.namespace}/${g.name}: listener ${l.name}: ${f.type}=${f.status} ${f.reason}: ${f.message}`,
        );
    }
  }
  for (const r of statuses.routes) {
    for (const p of r.parents) {
      const parent = `${p.parentRef.namespace ?? r.namespace}/${p.parentRef.name}`;
      for (const f of failing(p.conditions))
        lines.push(
          `${r.kind} ${r.namespace}/${r.name}: parent ${parent}: ${f.type}=False ${f.reason}: ${f.message}`,
        );
    }
  }
  return lines;
}
