import type { References } from "./ownership.ts";

/** Secrets that became referenced, or stopped being referenced, by one index update. */
export interface SecretTransitions {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Reference counts of Services, Secrets and ConfigMaps named by the objects we translate, so the store can tell
 * in O(1) whether a Service/Secret change matters and which Secrets must be kept with their data.
 */
export class ReferenceIndex {
  /**
   * Per owner kind, by `namespace/name`: the keys are the store's own entry keys, so indexing an owner
   * adds no string of its own.
   */
  readonly #byOwner = new Map<string, Map<string, References>>();
  readonly #services = new Map<string, number>();
  readonly #secrets = new Map<string, number>();
  readonly #kong = new Map<string, number>();
  readonly #configMaps = new Map<string, number>();

  /**
   * Replaces what the `kind` object at `key` (`namespace/name`) references (`undefined`: nothing, e.g.
   * deleted or not ours).
   */
  set(kind: string, key: string, refs: References | undefined): SecretTransitions {
    let owners = this.#byOwner.get(kind);
    if (owners === undefined) {
      owners = new Map<string, References>();
      this.#byOwner.set(kind, owners);
    }
    const before = owners.get(key);
    if (refs === undefined) owners.delete(key);
    else owners.set(key, compactReferences(refs));
    recount(this.#services, before?.services, refs?.services);
    recount(this.#kong, before?.kong, refs?.kong);
    recount(this.#configMaps, before?.configMaps, refs?.configMaps);
    const removed = (before?.secrets ?? []).filter(key => decrement(this.#secrets, key));
    const added = (refs?.secrets ?? []).filter(key => increment(this.#secrets, key));
    // A Secret dropped and re-added by the same update did not change.
    return {
      added: added.filter(key => !removed.includes(key)),
      removed: removed.filter(key => !added.includes(key)),
    };
  }

  /** Whether the `kind` object at `key` is currently indexed (i.e. one of ours). */
  has(kind: string, key: string): boolean {
    return this.#byOwner.get(kind)?.has(key) === true;
  }

  isServiceReferenced(key: string): boolean {
    return this.#services.has(key);
  }

  /** Whether a Kong object (`Kind/namespace/name`, see ownership.ts `kongKey`) is referenced. */
  isKongReferenced(key: string): boolean {
    return this.#kong.has(key);
  }

  isConfigMapReferenced(key: string): boolean {
    return this.#configMaps.has(key);
  }

  isSecretReferenced(key: string): boolean {
    return this.#secrets.has(key);
  }
}

// Most owners name no Secret, ConfigMap or Kong object, and most Services name nothing at all: one
// shared empty list (and one shared empty record) instead of thousands of empty arrays.
const NONE: readonly string[] = Object.freeze([]);
const NO_REFERENCES: References = Object.freeze({ services: NONE, secrets: NONE });

function compactReferences(refs: References): References {
  const services = orNone(refs.services);
  const secrets = orNone(refs.secrets);
  const kong = orNone(refs.kong);
  const configMaps = orNone(refs.configMaps);
  if (services === NONE && secrets === NONE && kong === NONE && configMaps === NONE)
    return NO_REFERENCES;
  return { services, secrets, kong, configMaps };
}

function orNone(list: readonly string[] | undefined): readonly string[] {
  return list === undefined || list.length === 0 ? NONE : list;
}

function recount(
  counts: Map<string, number>,
  before: readonly string[] | undefined,
  after: readonly string[] | undefined,
): void {
  for (const key of before ?? []) decrement(counts, key);
  for (const key of after ?? []) increment(counts, key);
}

/** Returns true when the count went from 0 to 1. */
function increment(counts: Map<string, number>, key: string): boolean {
  const n = counts.get(key) ?? 0;
  counts.set(key, n + 1);
  return n === 0;
}

/** Returns true when the count went from 1 to 0. */
function decrement(counts: Map<string, number>, key: string): boolean {
  const n = counts.get(key) ?? 0;
  if (n <= 1) {
    counts.delete(key);
    return n === 1;
  }
  counts.set(key, n - 1);
  return false;
}
