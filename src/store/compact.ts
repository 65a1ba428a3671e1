/**
 * Stored objects as small as V8 lets them be, for a store that holds every object of a cluster.
 *
 * - The parser builds its output key by key, and V8 gives an object built that way room for more
 *   properties than it gets (and a separate property array past four); an object built by `JSON.parse`
 *   gets exactly the room its properties need. Parser output is plain JSON data (no undefined members,
 *   no functions, no cycles), so a JSON round trip gives the same object, about a fifth smaller.
 * - `JSON.parse` shares the string values of up to ten characters and makes a new copy of every
 *   longer one. Values that repeat across objects (API versions, kinds, creation timestamps, label and
 *   annotation values, Secret types) are shared through bounded tables.
 * - Small sub-objects that repeat across objects (endpoint conditions, port lists) are shared too:
 *   stored objects are deeply frozen, so one copy reads the same to every consumer.
 */
import type { KubeObject } from "../model/k8s.ts";
import { BoundedMap } from "../util/bounded-map.ts";
import { isRecord } from "../util/is-record.ts";

type Json = Record<string, unknown>;

/** Entries per table: past it, the table starts over (objects keep what they share). */
const TABLE_LIMIT = 4096;

/** Strings up to this length are already shared by `JSON.parse`. */
const SHARED_BY_PARSER = 10;

// Longer values are rarely repeated (certificates, scripts) and would only fill the table.
const LONGEST_SHARED_STRING = 256;

/** The longest JSON text of a sub-object shared with its equals (endpoint conditions, port lists). */
const LONGEST_SHARED_PART = 1024;

/** Makes compact copies of parsed objects for the store; one per store (its tables are its own). */
export class Compactor {
  readonly #strings = new BoundedMap<string, string>(TABLE_LIMIT);
  // Objects applied together share their creation second; kept apart, so unique ones evict nothing else.
  readonly #timestamps = new BoundedMap<string, string>(TABLE_LIMIT);
  readonly #parts = new BoundedMap<string, unknown>(TABLE_LIMIT);

  /** A compact copy of `obj` (not yet frozen: the store freezes what it keeps). */
  compact<T extends KubeObject>(obj: T): T {
    const copy = JSON.parse(JSON.stringify(obj)) as Json;
    this.#shareString(copy, "apiVersion");
    this.#shareString(copy, "kind");
    const metadata = copy["metadata"];
    if (isRecord(metadata)) {
      this.#shareString(metadata, "creationTimestamp", this.#timestamps);
      this.#shareStrings(metadata["labels"]);
      this.#shareStrings(metadata["annotations"]);
    }
    switch (obj.kind) {
      case "Secret":
        this.#shareString(copy, "type");
        break;
      case "Service":
        if (isRecord(copy["spec"])) this.#sharePart(copy["spec"], "ports");
        break;
      case "EndpointSlice":
        this.#sharePart(copy, "ports");
        if (Array.isArray(copy["endpoints"]))
          for (const endpoint of copy["endpoints"] as unknown[])
            if (isRecord(endpoint)) this.#sharePart(endpoint, "conditions");
        break;
    }
    return copy as T;
  }

  #shareStrings(map: unknown): void {
    if (isRecord(map)) for (const key of Object.keys(map)) this.#shareString(map, key);
  }

  #shareString(holder: Json, key: string, table = this.#strings): void {
    const value = holder[key];
    if (
      typeof value === "string" &&
      value.length > SHARED_BY_PARSER &&
      value.length <= LONGEST_SHARED_STRING
    )
      holder[key] = table.getOrSet(value, () => value);
  }

  /**
   * Shares `holder[key]` with every equal value met before; `JSON.stringify` says which are equal. A
   * part whose text is long (a Service with hundreds of ports) is kept as it is: the parts that repeat
   * are short, and a long key would hold its size in the table until the table starts over.
   */
  #sharePart(holder: Json, key: string): void {
    const value = holder[key];
    if (value === null || typeof value !== "object") return;
    const text = JSON.stringify(value);
    if (text.length <= LONGEST_SHARED_PART) holder[key] = this.#parts.getOrSet(text, () => value);
  }
}
