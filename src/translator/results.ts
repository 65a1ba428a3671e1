import type { KubeObject } from "../model/k8s.ts";
import { refKey, refOf, splitApiVersion, type ObjectRef } from "../model/object-ref.ts";
import { BoundedMap } from "../util/bounded-map.ts";
import { compareStrings } from "../util/compare.ts";
import type {
  ObjectOutcome,
  ObjectResult,
  ParentCondition,
  ParentRef,
  ParentResult,
  Problem,
} from "./types.ts";

/** What translation stages say about objects; the builder collects it, a recording replays it. */
export interface ResultSink {
  translated(obj: KubeObject): void;
  /** Marks an object that is ours but produced nothing; it stays `translated` if something else used it. */
  excluded(obj: KubeObject): void;
  problem(obj: KubeObject, reason: string, message: string): void;
  dependsOn(obj: KubeObject, dependency: KubeObject): void;
  /**
   * Sets `obj`'s condition for one parent. A later condition of the same type replaces it, unless it
   * says the same status and reason: then its message is added to the earlier one's ({@link mergedCondition}).
   */
  parentCondition(obj: KubeObject, parent: ParentRef, condition: ParentCondition): void;
  /** Everything above, addressed to one object: `results.for(route).parent(gatewayRef).set(…)`. */
  for(obj: KubeObject): ObjectResults;
}

/** What a stage says about one object. */
export interface ObjectResults {
  translated(): void;
  excluded(): void;
  problem(reason: string, message: string): void;
  dependsOn(dependency: KubeObject): void;
  /** The object's result for one parent (a route's Gateway, or one listener of it). */
  parent(ref: ParentRef): ParentConditions;
}

export interface ParentConditions {
  /** Sets the condition of its type (see {@link ResultSink.parentCondition}); returns itself for the next. */
  set(condition: ParentCondition): ParentConditions;
}

/** `ResultSink.for` for any sink: each call forwards to the sink with the object filled in. */
class ObjectResultsOf implements ObjectResults {
  readonly #sink: ResultSink;
  readonly #obj: KubeObject;

  constructor(sink: ResultSink, obj: KubeObject) {
    this.#sink = sink;
    this.#obj = obj;
  }

  translated(): void {
    this.#sink.translated(this.#obj);
  }

  excluded(): void {
    this.#sink.excluded(this.#obj);
  }

  problem(reason: string, message: string): void {
    this.#sink.problem(this.#obj, reason, message);
  }

  dependsOn(dependency: KubeObject): void {
    this.#sink.dependsOn(this.#obj, dependency);
  }

  parent(ref: ParentRef): ParentConditions {
    const conditions: ParentConditions = {
      set: condition => {
        this.#sink.parentCondition(this.#obj, ref, condition);
        return conditions;
      },
    };
    return conditions;
  }
}

/** A key that orders parents by group, kind, namespace, name, section and port. */
function parentKey(ref: ParentRef): string {
  return [ref.group, ref.kind, ref.namespace, ref.name, ref.sectionName ?? "", ref.port ?? ""].join(
    "\u0000",
  );
}

interface ParentEntry {
  readonly ref: ParentRef;
  /** By condition type. */
  readonly conditions: Map<string, ParentCondition>;
}

/** An object's ref and its key; objects are frozen, so both can be computed once per object. */
export interface RefOf {
  (obj: KubeObject): { readonly ref: ObjectRef; readonly key: string };
}

export const freshRef: RefOf = obj => {
  const ref = refOf(obj);
  return { ref, key: refKey(ref) };
};

/** Enough for every apiVersion a cluster's watched kinds have. */
const MAX_API_VERSIONS = 256;

/**
 * `freshRef` for refs kept as long as their objects (the memo's): equal to `refOf`'s, built in one
 * literal (a spread leaves a field outside the object), with one group and version string per apiVersion
 * instead of a slice of each object's own.
 */
export function keptRefs(): RefOf {
  const versions = new BoundedMap<string, { readonly group: string; readonly version: string }>(
    MAX_API_VERSIONS,
  );
  return obj => {
    const { group, version } = versions.getOrSet(obj.apiVersion, () =>
      splitApiVersion(obj.apiVersion),
    );
    const { kind } = obj;
    const { name, uid } = obj.metadata;
    const namespace = obj.metadata.namespace ?? "";
    const ref: ObjectRef =
      uid === undefined
        ? { group, version, kind, namespace, name }
        : { group, version, kind, namespace, name, uid };
    return { ref, key: refKey(ref) };
  };
}

interface Entry {
  readonly ref: ObjectRef;
  readonly key: string;
  readonly generation: number | undefined;
  outcome: ObjectOutcome;
  problems: Problem[] | undefined;
  /** Usually one or two: a list searched in place costs less than a Map per object. */
  dependsOn: { readonly key: string; readonly ref: ObjectRef }[] | undefined;
  /** By parent key; only routes have parents. */
  parents: Map<string, ParentEntry> | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Collects one result per input object while translation runs. Outcomes only move "up":
 * ignored → excluded → translated, so a later contribution is never hidden by an earlier skip.
 * Entries are keyed by the object itself (a snapshot holds one object per key), which is cheaper
 * than hashing its key on every call.
 */
export class ResultsBuilder implements ResultSink {
  readonly #entries = new Map<KubeObject, Entry>();
  readonly #refs: RefOf;
  #lastObject: KubeObject | undefined;
  #lastEntry: Entry | undefined;

  constructor(refs: RefOf = freshRef) {
    this.#refs = refs;
  }

  #entry(obj: KubeObject): Entry {
    // Stages often say several things about one object in a row (a slice: translated, depends on).
    if (obj === this.#lastObject && this.#lastEntry !== undefined) return this.#lastEntry;
    let entry = this.#entries.get(obj);
    if (entry === undefined) {
      const { ref, key } = this.#refs(obj);
      entry = {
        ref,
        key,
        generation: obj.metadata.generation,
        outcome: "ignored",
        problems: undefined,
        dependsOn: undefined,
        parents: undefined,
      };
      this.#entries.set(obj, entry);
    }
    this.#lastObject = obj;
    this.#lastEntry = entry;
    return entry;
  }

  /** Registers an object so it gets a result even if nothing else is said about it. */
  seen(obj: KubeObject): void {
    this.#entry(obj);
  }

  translated(obj: KubeObject): void {
    this.#entry(obj).outcome = "translated";
  }

  excluded(obj: KubeObject): void {
    const entry = this.#entry(obj);
    if (entry.outcome === "ignored") entry.outcome = "excluded";
  }

  problem(obj: KubeObject, reason: string, message: string): void {
    const entry = this.#entry(obj);
    entry.problems ??= [];
    if (!entry.problems.some(p => p.reason === reason && p.message === message)) {
      entry.problems.push({ reason, message });
    }
  }

  dependsOn(obj: KubeObject, dependency: KubeObject): void {
    const dep = this.#refs(dependency);
    const entry = this.#entry(obj);
    if (entry.dependsOn === undefined) entry.dependsOn = [dep];
    else if (!entry.dependsOn.some(d => d.key === dep.key)) entry.dependsOn.push(dep);
  }

  parentCondition(obj: KubeObject, parent: ParentRef, condition: ParentCondition): void {
    const entry = this.#entry(obj);
    entry.parents ??= new Map();
    const key = parentKey(parent);
    let forParent = entry.parents.get(key);
    if (forParent === undefined) {
      forParent = { ref: parent, conditions: new Map() };
      entry.parents.set(key, forParent);
    }
    const earlier = forParent.conditions.get(condition.type);
    forParent.conditions.set(
      condition.type,
      earlier === undefined ? condition : mergedCondition(earlier, condition),
    );
  }

  for(obj: KubeObject): ObjectResults {
    return new ObjectResultsOf(this, obj);
  }

  build(): readonly ObjectResult[] {
    const entries = [...this.#entries.values()];
    // Usually registered in order already (the snapshot's lists are sorted); sort only if not.
    if (!isSortedByKey(entries)) entries.sort((a, b) => compareStrings(a.key, b.key));
    return entries.map(e => ({
      ref: e.ref,
      ...(e.generation === undefined ? {} : { generation: e.generation }),
      outcome: e.outcome,
      problems: e.problems ?? NONE,
      dependsOn: e.dependsOn === undefined ? NONE : sortedRefs(e.dependsOn),
      ...(e.parents === undefined ? {} : { parents: parentResults(e.parents) }),
    }));
  }
}

/** `metav1.Condition.message`'s limit: a longer one fails the whole status write. */
const MAX_CONDITION_MESSAGE = 32_768;

/**
 * Two stages' word on one condition of one parent (a rule dropped by the route's translator, then one
 * Kong's router refuses). The same verdict says both problems, in the order the stages said them (the
 * order of translation, so stable), joined with "; " as each stage joins its own, and cut to
 * {@link MAX_CONDITION_MESSAGE}; a second problem must not hide the first. Another verdict replaces the
 * earlier one, whose message spoke for it.
 */
function mergedCondition(earlier: ParentCondition, later: ParentCondition): ParentCondition {
  if (earlier.status !== later.status || earlier.reason !== later.reason) return later;
  if (later.message === "" || earlier.message.split("; ").includes(later.message)) return earlier;
  if (earlier.message === "") return later;
  const message = `${earlier.message}; ${later.message}`;
  return {
    ...earlier,
    message:
      message.length <= MAX_CONDITION_MESSAGE
        ? message
        : `${message.slice(0, MAX_CONDITION_MESSAGE - 3)}...`,
  };
}

function parentResults(parents: ReadonlyMap<string, ParentEntry>): ParentResult[] {
  return [...parents.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, p]) => ({
      parentRef: p.ref,
      conditions: [...p.conditions.values()].sort((a, b) => compareStrings(a.type, b.type)),
    }));
}

function sortedRefs(
  refs: readonly { readonly key: string; readonly ref: ObjectRef }[],
): ObjectRef[] {
  if (refs.length === 1) return [refs[0]?.ref as ObjectRef];
  // Usually said in order already: then no sorted copy.
  const sorted = isSortedByKey(refs)
    ? refs
    : [...refs].sort((a, b) => compareStrings(a.key, b.key));
  return sorted.map(d => d.ref);
}

function isSortedByKey(entries: readonly { readonly key: string }[]): boolean {
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1];
    const current = entries[i];
    if (
      previous !== undefined &&
      current !== undefined &&
      compareStrings(previous.key, current.key) > 0
    )
      return false;
  }
  return true;
}

type Recorded =
  | { readonly op: "translated" | "excluded"; readonly obj: KubeObject }
  | { readonly op: "problem"; readonly obj: KubeObject; readonly problem: Problem }
  | { readonly op: "dependsOn"; readonly obj: KubeObject; readonly dependency: KubeObject }
  | {
      readonly op: "parentCondition";
      readonly obj: KubeObject;
      readonly parent: ParentRef;
      readonly condition: ParentCondition;
    };

/**
 * Records what a memoisable stage says, so that a cached stage output can say it again, in the same
 * order, into a later translation's builder.
 */
export class RecordedResults implements ResultSink {
  #ops: Recorded[] = [];
  /** Whether `#ops` was cut to its length: a recording is kept while its object is unchanged. */
  #trimmed = false;

  translated(obj: KubeObject): void {
    this.#ops.push({ op: "translated", obj });
  }

  excluded(obj: KubeObject): void {
    this.#ops.push({ op: "excluded", obj });
  }

  problem(obj: KubeObject, reason: string, message: string): void {
    this.#ops.push({ op: "problem", obj, problem: { reason, message } });
  }

  dependsOn(obj: KubeObject, dependency: KubeObject): void {
    this.#ops.push({ op: "dependsOn", obj, dependency });
  }

  parentCondition(obj: KubeObject, parent: ParentRef, condition: ParentCondition): void {
    this.#ops.push({ op: "parentCondition", obj, parent, condition });
  }

  for(obj: KubeObject): ObjectResults {
    return new ObjectResultsOf(this, obj);
  }

  /** Whether everything recorded is said about `obj` alone (nothing about the objects it names). */
  onlyAbout(obj: KubeObject): boolean {
    return this.#ops.every(r => r.obj === obj);
  }

  replay(into: ResultSink): void {
    // Replayed first right after recording: from then on, it is kept without room to grow (a pushed
    // list holds 17 entries).
    if (!this.#trimmed) {
      this.#ops = this.#ops.slice();
      this.#trimmed = true;
    }
    for (const r of this.#ops) {
      switch (r.op) {
        case "translated":
          into.translated(r.obj);
          break;
        case "excluded":
          into.excluded(r.obj);
          break;
        case "problem":
          into.problem(r.obj, r.problem.reason, r.problem.message);
          break;
        case "dependsOn":
          into.dependsOn(r.obj, r.dependency);
          break;
        case "parentCondition":
          into.parentCondition(r.obj, r.parent, r.condition);
          break;
      }
    }
  }
}
