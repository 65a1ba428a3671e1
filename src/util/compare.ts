import { isRecord } from "./is-record.ts";

/** Code-unit order: locale-independent, so output bytes never depend on the machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The index of the item whose key is `key` in `list`, sorted by that key in `compareStrings` order;
 * undefined when there is none.
 */
export function indexOfSorted<T>(
  list: readonly T[],
  key: string,
  keyOf: (item: T) => string,
): number | undefined {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const order = compareStrings(keyOf(list[mid] as T), key);
    if (order === 0) return mid;
    if (order < 0) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/** Whether two sets hold the same items. */
export function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/** Deep equality of plain data (statuses, as translation decides and the writer compares them). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  // Loops, not filtered key lists: translation compares thousands of statuses per change.
  let defined = 0;
  for (const key of Object.keys(a)) {
    const value = a[key];
    if (value === undefined) continue;
    defined++;
    if (!sameData(value, b[key])) return false;
  }
  for (const key of Object.keys(b)) if (b[key] !== undefined) defined--;
  return defined === 0;
}
