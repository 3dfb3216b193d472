/**
 * What health() judges over time, sampled on main (by a timer, and at each health() call):
 *
 * - the messages handled, dead-lettered and failed within the health window, so that a flood of
 *   dead letters shows (supervision/health.ts judges them; the alert rules read all three);
 * - the rings whose records wait with no progress: a consumer that stopped reading (a wedged
 *   link) shows as `critical` once its head has not moved for the limit while records waited.
 */
import { Ring } from '../mesh/ring.js';

interface Sample { at: number; handled: number; dead: number; failed: number }

export class HealthSignals {
  private readonly samples: Sample[] = [];
  /** Per ring (by its key in the system's links): the head seen waiting, and since when. */
  private readonly waiting = new Map<number, { head: number; since: number }>();

  constructor(private readonly windowMs: number) {}

  /** Records the counts now (`handled`: processed + dead-lettered; `failed`: handler failures) and looks at every ring. */
  sample(now: number, handled: number, dead: number, failed: number, links: ReadonlyMap<number, SharedArrayBuffer>): void {
    const s = this.samples;
    s.push({ at: now, handled, dead, failed });
    // Keep one sample older than the window: the counts at its start.
    while (s.length > 2 && s[1]!.at <= now - this.windowMs) s.shift();
    for (const [key, ring] of links) {
      // Read, not freed: a host keeps a record's space until its message is finished.
      const { read, tail } = Ring.positionsOf(ring);
      if (read === tail) { this.waiting.delete(key); continue; }
      const w = this.waiting.get(key);
      if (w === undefined || w.head !== read) this.waiting.set(key, { head: read, since: now });
    }
    for (const key of this.waiting.keys()) if (!links.has(key)) this.waiting.delete(key);
  }

  /** Dead letters, messages handled and handler failures within the window (as of the last sample). */
  windowCounts(): { dead: number; handled: number; failed: number } {
    const s = this.samples;
    if (s.length === 0) return { dead: 0, handled: 0, failed: 0 };
    const first = s[0]!;
    const last = s[s.length - 1]!;
    return { dead: last.dead - first.dead, handled: last.handled - first.handled, failed: last.failed - first.failed };
  }

  /** Rings (by key) whose records have waited with no progress for `limitMs` or more. */
  stuckLinks(now: number, limitMs: number): number[] {
    const out: number[] = [];
    for (const [key, w] of this.waiting) if (now - w.since >= limitMs) out.push(key);
    return out;
  }
}
