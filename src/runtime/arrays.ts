/**
 * Empties `list` and keeps its backing store. `list.length = 0` is a call into the runtime that
 * also drops the store, so the next push allocates a new one: about 40 ns more than popping a
 * few entries, on paths that empty a short list every pump turn (the run queue, the rings to
 * publish, the rings to free). A long list is let go at once, so that its store does not stay
 * large.
 */
export function empty(list: unknown[]): void {
  if (list.length > 64) list.length = 0;
  else while (list.length > 0) list.pop();
}
