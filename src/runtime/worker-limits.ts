/**
 * A worker's V8 limits (Node's Worker `resourceLimits`): checked where they are given, and
 * with troupe's own default for the young generation filled in where they are not.
 *
 * Why a larger young generation: an actor lives from its spawn until it stops, often the length
 * of a burst (a child per request, a fan-out of workers). Node 20 and 22 let a worker's young
 * generation grow to 48 MB (16 MB semi-spaces; Node 24 to 192 already); a burst that allocates
 * more than that copies every actor still alive to the other semi-space, then again into the old
 * generation, which a later mark-compact must sweep. Given room for the burst, more of them die
 * young. Measured through the bench's own round runner (a script calling
 * `troupeSavina(name, FULL_PARAMS[name])` round after round; medians of rounds 5 on; two runs of
 * each, 48 MB, 192 and 384 alternated, Node 20): Fork-Join creation on one worker 93.9 / 93.2 ms
 * at 48, 84.0 / 86.5 at 192, 88.5 / 79.0 at 384; Fibonacci spread over two workers 527 / 518,
 * 453 / 465, 396 / 425; Skynet spread (all ten rounds) 3,859, 3,123, 3,239. Newer V8s gain less
 * (one worker, 48 MB against 192: Node 22 Fork-Join creation 88.1 / 83.5 ms, Fibonacci 715 / 597;
 * Node 24 73.5 / 69.6, and Fibonacci about the same).
 *
 * The cost is memory: the space a busy worker's young generation grew to stays committed while
 * it idles. The process of a one-worker system that ran 12 rounds of Fork-Join creation held
 * 274 MB of RSS against 177 at 48 MB (Node 20), and still 272 after 40 s idle, where at 48 MB V8
 * had given it back after 30 s. 192 MB takes most of the gain for half the memory of 384. A user
 * who would rather bound it sets `maxYoungGenerationSizeMb` (the system's `resourceLimits` for the
 * shared workers, a dedicated actor's, a pool's).
 */
import type { ResourceLimits } from 'node:worker_threads';
import { invalidArgument, refuseUnknownKeys } from '../actors/errors.js';

export const DEFAULT_YOUNG_GENERATION_MB = 192;

const RESOURCE_LIMIT_KEYS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/** Throws ERR_TROUPE_INVALID_ARGUMENT unless `r` is Node's ResourceLimits: positive numbers of MB. */
export function checkResourceLimits(name: string, r: unknown): asserts r is ResourceLimits {
  if (r === null || typeof r !== 'object') throw invalidArgument(name, 'an object (maxYoungGenerationSizeMb, maxOldGenerationSizeMb, ...)', r);
  refuseUnknownKeys(name, r, RESOURCE_LIMIT_KEYS, `${name}.`);
  for (const k of RESOURCE_LIMIT_KEYS) {
    const v = (r as ResourceLimits)[k];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0) || v === Infinity)) throw invalidArgument(`${name}.${k}`, 'a positive number of MB', v);
  }
}

/** The limits a worker starts with: those given, and the young generation's default where they do not say. */
export function workerLimits(given: ResourceLimits | undefined): ResourceLimits {
  return given?.maxYoungGenerationSizeMb === undefined ? { ...given, maxYoungGenerationSizeMb: DEFAULT_YOUNG_GENERATION_MB } : given;
}
