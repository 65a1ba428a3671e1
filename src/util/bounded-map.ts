/**
 * A map of at most `limit` entries that starts over when it is full. For tables whose values are cheap
 * to make again (verdicts, shared strings) and whose keys come from users' objects: they must not grow
 * without bound, and a table that starts over only costs the sharing until it refills.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.#entries.size >= this.#limit && !this.#entries.has(key)) this.#entries.clear();
    this.#entries.set(key, value);
  }

  /** The value kept for `key`, or else `make()`'s, which is kept from now on. */
  getOrSet(key: K, make: () => V): V {
    if (this.#entries.has(key)) return this.#entries.get(key) as V;
    const value = make();
    this.set(key, value);
    return value;
  }
}
