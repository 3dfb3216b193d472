/**
 * The watchdog's decision: a host whose heartbeat (written by a timer on its own thread, so a
 * handler that blocks the thread stops it) is older than `maxHandlerMs` is a runaway, to be
 * terminated and replaced. One that is already being terminated is not judged again.
 */

/** A host as the watchdog sees it. */
export interface Watched {
  /** When its thread last wrote its heartbeat (ms, same scale as `now`), or 0: not yet. */
  readonly beat: number;
  /** Alive, and not already being terminated. */
  readonly watched: boolean;
}

/** The hosts blocked past `maxHandlerMs` at `now`, and for how long. */
export function runaways<T extends Watched>(hosts: Iterable<T>, now: number, maxHandlerMs: number): { host: T; blockedMs: number }[] {
  const out: { host: T; blockedMs: number }[] = [];
  for (const host of hosts) {
    if (!host.watched || host.beat <= 0) continue;
    const blockedMs = now - host.beat;
    if (blockedMs > maxHandlerMs) out.push({ host, blockedMs });
  }
  return out;
}
