/** The value `map` holds for `key`, computed and kept on first use. */
export function once<K extends object, V>(map: WeakMap<K, V>, key: K, compute: (key: K) => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = compute(key);
    map.set(key, value);
  }
  return value;
}
