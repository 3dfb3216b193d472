import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createActorSystem } from 'troupe';
import { deadLetters, expectConserved, fixture, latch, quiet, until } from '../helpers.js';

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

describe('dead letters of a stop', () => {
  it('are all in system.deadLetters once stop() resolves (they cross on another port than its answer: regression)', async () => {
    const system = await createActorSystem({ name: 'dead-stop', workers: 1, logger: quiet });
    try {
      for (let round = 1; round <= 30; round++) {
        // Blocked in a handler, with 200 messages read into its mailbox: the stop gives up on
        // the handler after 20 ms and dead-letters the 200 (actor-stopped).
        const gate = latch();
        const g = await system.spawn(fixture('gate.actor'), { shutdownMs: 20, args: { latch: gate.sab } });
        const held = g.ask({ type: 'block' }).catch(() => 'stopped');
        await gate.waiting();
        for (let seq = 0; seq < 200; seq++) g.tell({ type: 'item', seq });
        await until(() => system.stats(), (s) => s.queued >= 200, 10_000);
        await system.stop(g);
        expect(system.deadLetters.counts()['actor-stopped'], `round ${round}`).toBe(200 * round);
        gate.open();
        await held;
      }
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
