/**
 * The root supervisor's decision after a host worker died: which of its top-level actors restart
 * on the replacement, by their restart types and restart intensity (OTP's `add_restart`, under
 * the root). `temporary` ones are not restarted; `permanent` and `transient` ones are, within
 * their intensity, and escalate past it.
 *
 * A death in one actor's own code (its handler, init or hook, or its children's: `blamed`)
 * counts against that actor's intensity only: the others went down with it and restart without
 * being charged. When nothing is to blame (a crash outside any actor's code), each of them is.
 */
import type { RestartType } from './options.js';
import type { RestartIntensity } from './intensity.js';

/** A top-level actor as the root supervises it. */
export interface RootChild {
  readonly restart: RestartType;
  readonly intensity: RestartIntensity;
  /** system.stop() is stopping it: it is not restarted. */
  readonly stopping?: boolean | undefined;
}

export interface RootRestarts<T> {
  /** Restart these, under the same ids. */
  restart: T[];
  /** Past their restart intensity: they escalate past the top and stay stopped. */
  escalate: T[];
  /** Temporary: they stay stopped. */
  temporary: T[];
}

/** Decides for each of `children` (on a monotonic clock `now`, ms). Records the restarts it allows. */
export function rootRestarts<T extends RootChild>(children: Iterable<T>, blamed: T | undefined, now: number): RootRestarts<T> {
  const out: RootRestarts<T> = { restart: [], escalate: [], temporary: [] };
  for (const child of children) {
    if (child.stopping) continue;
    if (child.restart === 'temporary') out.temporary.push(child);
    else if ((blamed === undefined || blamed === child) && !child.intensity.tryRestart(now)) out.escalate.push(child);
    else out.restart.push(child);
  }
  return out;
}
