import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { parseKubeObject } from "../../src/model/parse.ts";
import { buildSnapshot } from "../../src/model/snapshot.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import type { ObjectRef } from "../../src/model/object-ref.ts";
import type {
  GatewayApiStatuses,
  Snapshot,
  TranslationResult,
} from "../../src/translator/types.ts";
import { sortKeys } from "../../src/util/stable-json.ts";

export function readDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map(doc => {
      if (doc.errors.length > 0)
        throw new Error(`${path}: ${doc.errors.map(e => e.message).join("; ")}`);
      return doc.toJS() as unknown;
    })
    .filter(doc => doc !== null);
}

/** Parses raw documents into a frozen snapshot; golden inputs must be valid objects. */
export function loadSnapshot(documents: readonly unknown[]): Snapshot {
  const objects: KubeObject[] = [];
  for (const raw of documents) {
    const parsed = parseKubeObject(raw);
    if (parsed.ok !== true)
      throw new Error(`golden input object is not usable: ${JSON.stringify(parsed)}`);
    objects.push(parsed.object);
  }
  return buildSnapshot(objects);
}

function refText(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace === "" ? "" : `${ref.namespace}/`}${ref.name}`;
}

const conditionLine = (c: { type: string; status: string; reason: string; message: string }) =>
  `${c.type}=${c.status} ${c.reason}${c.message === "" ? "" : `: ${c.message}`}`;

/** Gateway API statuses as lines a reviewer reads, or nothing when no Gateway API object is ours. */
function gatewayApiView(statuses: GatewayApiStatuses): object {
  const routes = statuses.routes.filter(r => r.parents.length > 0);
  if (statuses.classes.length + statuses.gateways.length + routes.length === 0) return {};
  return {
    statuses: {
      gatewayClasses: statuses.classes.map(c => ({
        object: `GatewayClass ${c.name}`,
        conditions: c.conditions.map(conditionLine),
      })),
      gateways: statuses.gateways.map(g => ({
        object: `Gateway ${g.namespace}/${g.name}`,
        conditions: g.conditions.map(conditionLine),
        listeners: g.listeners.map(l => ({
          name: l.name,
          attachedRoutes: l.attachedRoutes,
          supportedKinds: l.supportedKinds.map(k => k.kind),
          conditions: l.conditions.map(conditionLine),
        })),
      })),
      routes: routes.map(r => ({
        object: `${r.kind} ${r.namespace}/${r.name}`,
        parents: r.parents.map(p => ({
          parentRef: `${p.parentRef.namespace ?? r.namespace}/${p.parentRef.name}${p.parentRef.sectionName === undefined ? "" : `#${p.parentRef.sectionName}`}${p.parentRef.port === undefined ? "" : `:${p.parentRef.port}`}`,
          conditions: p.conditions.map(conditionLine),
        })),
      })),
    },
  };
}

/**
 * What a reviewer reads: the Kong config with sorted keys, one compact line set per object, and (when
 * any Gateway API object is ours) the statuses translation decided.
 */
export function goldenView(result: TranslationResult): unknown {
  return {
    config: sortKeys(result.config),
    results: result.results.map(r => ({
      object: refText(r.ref),
      outcome: r.outcome,
      ...(r.problems.length > 0
        ? { problems: r.problems.map(p => `${p.reason}: ${p.message}`) }
        : {}),
      ...(r.dependsOn.length > 0 ? { dependsOn: r.dependsOn.map(refText) } : {}),
    })),
    ...(result.revisitAt === undefined
      ? {}
      : { revisitAt: new Date(result.revisitAt).toISOString() }),
    ...gatewayApiView(result.gatewayApi),
  };
}
