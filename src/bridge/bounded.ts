/**
 * Bounded memory of what other nodes did: insertion-ordered maps and sets where a key set again
 * goes last, and past `max` the oldest goes. A node that sends without end must not make this one
 * remember without end.
 */

/** Sets key → value, dropping the oldest entry past `max`. */
export function bounded<K, V>(map: Map<K, V>, key: K, value: V, max = 100_000): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/** Adds key, dropping the oldest past `max`. */
export function boundedSet<K>(set: Set<K>, key: K, max = 100_000): void {
  set.delete(key);
  set.add(key);
  if (set.size > max) set.delete(set.values().next().value as K);
}
