import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createActorSystem } from 'troupe';
import { deadLetters, expectConserved, fixture, quiet } from '../helpers.js';

/** A full garbage collection (exposed for this process without restarting it). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('dead letters in memory', () => {
  it("dead-lettering 200 messages of 1 MB keeps main's heap growth far below 200 MB, counts every one, and keeps the newest as a preview", async () => {
    const system = await createActorSystem({ name: 'dead-heavy', workers: 1, logger: quiet });
    try {
      const gone = await system.spawn(fixture('leaf.actor'));
      await system.stop(gone);
      const bulky = await system.spawn(fixture('bulky.actor'));
      // What a subscriber (as the NATS DLQ stream is) receives: every message whole.
      const received: number[] = [];
      const off = system.deadLetters.subscribe((d) => received.push((d.message as { blob: string }).blob.length));
      collect();
      const before = process.memoryUsage().heapUsed;
      const all = deadLetters(system, 'no-such-actor', 200);
      // One at a time, as they would come in a real flood: each crosses to main on its own.
      for (let i = 0; i < 200; i++) await bulky.ask({ type: 'tell-big', to: gone, i, bytes: 1_000_000 });
      await all;
      off();
      collect();
      const grown = process.memoryUsage().heapUsed - before;
      expect(grown).toBeLessThan(40 * 1024 * 1024);
      expect(system.deadLetters.bytes).toBeLessThan(1024 * 1024);
      expect(system.deadLetters.counts()['no-such-actor']).toBe(200);
      expect(system.deadLetters.trimmed).toBe(200);
      expect(received).toEqual(Array(200).fill(1_000_000));
      const newest = system.deadLetters.list().at(-1)!;
      expect(newest).toMatchObject({ reason: 'no-such-actor', trimmed: true });
      expect(newest.message).toMatchObject({ preview: expect.stringMatching(/^\{ i: 199, blob: 'xxxx/), bytes: expect.any(Number) });
      expect((newest.message as { bytes: number }).bytes).toBeGreaterThan(1_000_000);
      expect((newest.message as { preview: string }).preview.length).toBeLessThanOrEqual(1024);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
