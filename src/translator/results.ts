import type { KubeObject } from "../model/k8s.ts";
import { refKey, refOf, type ObjectRef } from "../model/object-ref.ts";
import { compareStrings } from "../util/compare.ts";
import type { ObjectOutcome, ObjectResult, Problem } from "./types.ts";

interface Entry {
  ref: ObjectRef;
  outcome: ObjectOutcome;
  problems: Problem[];
  dependsOn: Map<string, ObjectRef>;
}

/**
 * Collects one result per input object while translation runs. Outcomes only move "up":
 * ignored → excluded → translated, so a later contribution is never hidden by an earlier skip.
 */
export class ResultsBuilder {
  readonly #entries = new Map<string, Entry>();

  #entry(obj: KubeObject): Entry {
    const ref = refOf(obj);
    const key = refKey(ref);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { ref, outcome: "ignored", problems: [], dependsOn: new Map() };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** Registers an object so it gets a result even if nothing else is said about it. */
  seen(obj: KubeObject): void {
    this.#entry(obj);
  }

  translated(obj: KubeObject): void {
    this.#entry(obj).outcome = "translated";
  }

  /** Marks an object that is ours but produced nothing; it stays `translated` if something else used it. */
  excluded(obj: KubeObject): void {
    const entry = this.#entry(obj);
    if (entry.outcome === "ignored") entry.outcome = "excluded";
  }

  problem(obj: KubeObject, reason: string, message: string): void {
    const entry = this.#entry(obj);
    if (!entry.problems.some(p => p.reason === reason && p.message === message)) {
      entry.problems.push({ reason, message });
    }
  }

  dependsOn(obj: KubeObject, dependency: KubeObject): void {
    const ref = refOf(dependency);
    this.#entry(obj).dependsOn.set(refKey(ref), ref);
  }

  build(): readonly ObjectResult[] {
    return [...this.#entries.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, e]) => ({
        ref: e.ref,
        outcome: e.outcome,
        problems: e.problems,
        dependsOn: [...e.dependsOn.entries()]
          .sort(([a], [b]) => compareStrings(a, b))
          .map(([, ref]) => ref),
      }));
  }
}
