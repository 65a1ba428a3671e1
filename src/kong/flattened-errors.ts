/**
 * Maps Kong entities back to the Kubernetes objects that produced them, through the `k8s-*` tags
 * (kic-conventions.md §2.6): for the entries of a flattened 400 (which objects are broken), and for a whole
 * config (which objects a config Kong accepted contains).
 */
import { refKey, type ObjectRef } from "../model/object-ref.ts";
import { compareStrings } from "../util/compare.ts";
import type { ErrorBody, FlatEntityError } from "./responses.ts";

/** One thing Kong found wrong with an entity: a field error carries the dotted field path. */
export interface EntityProblem {
  readonly field?: string;
  readonly message: string;
}

/** One rejected Kong entity and, when its tags identify one, the object it came from. */
export interface EntityFailure {
  /** Kong's collection name minus the trailing `s`: `service`, `route`, `plugin`, `target`… */
  readonly entityType: string;
  readonly entityName?: string;
  readonly entityId?: string;
  /** Undefined when the entity carries no usable `k8s-name`/`k8s-kind` tags. */
  readonly ref?: ObjectRef;
  readonly problems: readonly EntityProblem[];
}

/** Everything Kong reported wrong with one Kubernetes object. */
export interface ObjectFailure {
  readonly ref: ObjectRef;
  /** KIC's event wording: `invalid <field>: <message>` for field errors, the bare message otherwise. */
  readonly messages: readonly string[];
}

const TAG_FIELDS: Readonly<Record<string, keyof ObjectRef>> = {
  "k8s-name": "name",
  "k8s-namespace": "namespace",
  "k8s-kind": "kind",
  "k8s-uid": "uid",
  "k8s-group": "group",
  "k8s-version": "version",
};

/**
 * The object a tag list names, or undefined. Name and kind are required; namespace (cluster-scoped
 * objects), group (core group) and uid may be absent. KIC also requires the uid; we do not, because a
 * rejection is always matched against the snapshot it was built from, where kind/namespace/name is unique.
 */
export function refFromTags(tags: readonly unknown[]): ObjectRef | undefined {
  const found: Partial<Record<keyof ObjectRef, string>> = {};
  for (const tag of tags) {
    if (typeof tag !== "string") continue;
    const colon = tag.indexOf(":");
    if (colon < 0) continue;
    const field = TAG_FIELDS[tag.slice(0, colon)];
    if (field !== undefined) found[field] ??= tag.slice(colon + 1);
  }
  if (found.name === undefined || found.kind === undefined) return undefined;
  const ref: ObjectRef = {
    group: found.group ?? "",
    version: found.version ?? "",
    kind: found.kind,
    namespace: found.namespace ?? "",
    name: found.name,
  };
  return found.uid === undefined ? ref : { ...ref, uid: found.uid };
}

function problemsOf(entry: FlatEntityError): EntityProblem[] {
  const problems: EntityProblem[] = [];
  for (const e of entry.errors) {
    const messages = [...(e.message === undefined ? [] : [e.message]), ...(e.messages ?? [])];
    for (const message of messages) {
      problems.push(
        e.type !== "entity" && e.field !== undefined ? { field: e.field, message } : { message },
      );
    }
  }
  return problems;
}

/** The entries of `flattened_errors`, each mapped to its object when the tags allow it. */
export function parseFlattenedErrors(body: ErrorBody): EntityFailure[] {
  return (body.flattened_errors ?? []).map(entry => {
    const ref = refFromTags(entry.entity_tags ?? []);
    return {
      entityType: entry.entity_type ?? "unknown",
      ...(entry.entity_name === undefined ? {} : { entityName: entry.entity_name }),
      ...(entry.entity_id === undefined ? {} : { entityId: entry.entity_id }),
      ...(ref === undefined ? {} : { ref }),
      problems: problemsOf(entry),
    };
  });
}

/** KIC's wording for one problem (`inmemory_error_handling.go`). */
export function describeProblem(problem: EntityProblem): string {
  return problem.field === undefined
    ? problem.message
    : `invalid ${problem.field}: ${problem.message}`;
}

/** Groups entity failures by object, dropping those no object can be named for. Sorted by object key. */
export function failuresByObject(failures: readonly EntityFailure[]): ObjectFailure[] {
  const byKey = new Map<string, { ref: ObjectRef; messages: string[] }>();
  for (const failure of failures) {
    if (failure.ref === undefined) continue;
    const key = refKey(failure.ref);
    const entry = byKey.get(key) ?? { ref: failure.ref, messages: [] };
    const entity = failure.entityName === undefined ? "" : ` (${failure.entityName})`;
    for (const p of failure.problems) {
      entry.messages.push(`${failure.entityType}${entity}: ${describeProblem(p)}`);
    }
    byKey.set(key, entry);
  }
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, v]) => v);
}

/**
 * Every object named by the tags of any entity anywhere in a config: ours (nested, as we send it) or
 * Kong's flat `GET /config` dump. Keyed by `refKey`.
 */
export function objectsInConfig(config: unknown): Map<string, ObjectRef> {
  const found = new Map<string, ObjectRef>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node === null || typeof node !== "object") return;
    for (const [key, child] of Object.entries(node)) {
      if (key === "tags" && Array.isArray(child)) {
        const ref = refFromTags(child);
        if (ref !== undefined) found.set(refKey(ref), ref);
      } else if (typeof child === "object") {
        visit(child);
      }
    }
  };
  visit(config);
  return found;
}
