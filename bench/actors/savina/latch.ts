/**
 * A per-thread latch: how a benchmark's last actor tells the driver, on the same worker, that
 * the run is over. The driver's `receive` awaits the latch's promise; the actor that sees the
 * end calls `releaseLatch(id, result)`. Module state is per worker thread (each worker imports
 * its own copy), so both must run on the same worker — the drivers make sure of that.
 */

import type { SavinaResult } from '../../savina/answers.js';

const waiting = new Map<number, (r: SavinaResult) => void>();
let next = 1;

export function openLatch(): { id: number; done: Promise<SavinaResult> } {
  const id = next++;
  const done = new Promise<SavinaResult>((resolve) => waiting.set(id, resolve));
  return { id, done };
}

export function releaseLatch(id: number, result: SavinaResult): void {
  const resolve = waiting.get(id);
  if (resolve === undefined) throw new Error(`latch ${id} is not open on this worker`);
  waiting.delete(id);
  resolve(result);
}
