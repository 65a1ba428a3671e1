import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { parseKubeObject } from "../../src/model/parse.ts";
import { buildSnapshot } from "../../src/model/snapshot.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import type { ObjectRef } from "../../src/model/object-ref.ts";
import type { Snapshot, TranslationResult } from "../../src/translator/types.ts";
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

/** What a reviewer reads: the Kong config with sorted keys, and one compact line set per object. */
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
  };
}
