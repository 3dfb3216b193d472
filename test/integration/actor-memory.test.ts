import { describe, expect, it } from 'vitest';
import { createActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

describe('an idle actor', () => {
  // Regression: an idle actor took about 880 bytes (a Cell of 36 fields, a supervision object of
  // its own, a path built as a rope, a "$id" key string, a WeakMap entry for its ref). Issue 15's
  // target is 600 bytes, heap and shared memory together; it takes about 500 now.
  it('costs its worker under 600 bytes, heap and shared memory together', async () => {
    const system = await createActorSystem({ name: 'weigh', workers: 1, logger: quiet });
    try {
      const parent = await system.spawn(fixture('parent.actor'));
      const bytes = await parent.ask<number>({ type: 'weigh', count: 30_000 }, { timeoutMs: 60_000 });
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(600);
      await expect(parent.ask({ type: 'stop-all' }, { timeoutMs: 60_000 })).resolves.toBe(30_001);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});

describe('a stopped actor', () => {
  // Regression: the path of an unnamed child is its parent's path and a prefix made once for the
  // siblings spawned one after another; the cache of that prefix kept the last parent's cell, and
  // its state, alive after the parent stopped (until some actor spawned its next unnamed child).
  it('is not kept in memory by the paths of the children it spawned', async () => {
    const system = await createActorSystem({ name: 'kept', workers: 1, logger: quiet });
    try {
      const parent = await system.spawn(fixture('kept.actor'));
      await expect(parent.ask({ type: 'spawn-child' })).resolves.toBe('spawned');
      await system.stop(parent);
      // A named actor: its path takes nothing from that cache.
      const probe = await system.spawn(fixture('kept.actor'), { name: 'probe' });
      await expect(probe.ask({ type: 'alive' })).resolves.toBe(1); // the probe
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
