// Asks whose handlers were suspended in an `await` when their worker died used to wait out their
// whole timeout: they settle at once with ERR_TROUPE_WORKER_FAILED, whoever asked.
import { describe, expect, it } from 'vitest';
import { createActorSystem } from 'troupe';
import { counterAt, expectConserved, fixture, nextEvent, quiet } from '../helpers.js';

describe('asks on a worker that dies', () => {
  it('an ask from main whose handler is suspended in an await settles within 1 s with ERR_TROUPE_WORKER_FAILED', async () => {
    const system = await createActorSystem({ name: 'await-death', workers: 2, logger: quiet });
    try {
      const napper = await system.spawn(fixture('napper.actor'), { placement: { worker: 0 } });
      const crash = await system.spawn(fixture('crash.actor'), { placement: { worker: 0 } });
      const started = new SharedArrayBuffer(4);
      const napping = napper.ask({ type: 'nap', started, ms: 30_000 }, { timeoutMs: 30_000 }).catch((e: unknown) => e);
      await counterAt(started, 1);
      const died = nextEvent(system, 'worker-died');
      const t0 = performance.now();
      crash.tell({ type: 'exit' });
      await died;
      const err = await napping;
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(err).toMatchObject({ code: 'ERR_TROUPE_WORKER_FAILED' });
      expect(system.deadLetters.list({ reason: 'worker-died' }).some((d) => d.target === napper.path)).toBe(true);
      await nextEvent(system, 'worker-replaced');
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });

  it("an actor's ask to an actor suspended on a worker that dies settles within 1 s, and so does the ask that waited on it", async () => {
    const system = await createActorSystem({ name: 'await-death-2', workers: 2, logger: quiet });
    try {
      const napper = await system.spawn(fixture('napper.actor'), { placement: { worker: 0 } });
      const crash = await system.spawn(fixture('crash.actor'), { placement: { worker: 0 } });
      // (No retry of the asker's own message: its handler's error goes straight back to main.)
      const asker = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 }, supervision: { maxRetries: 0 } });
      const started = new SharedArrayBuffer(4);
      const waiting = asker.ask({ type: 'ask-raw', other: napper, value: { type: 'nap', started, ms: 30_000 } }, { timeoutMs: 30_000 })
        .catch((e: unknown) => e);
      await counterAt(started, 1);
      const died = nextEvent(system, 'worker-died');
      const t0 = performance.now();
      crash.tell({ type: 'exit' });
      await died;
      const err = await waiting;
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(err).toMatchObject({ code: 'ERR_TROUPE_WORKER_FAILED' });
      await nextEvent(system, 'worker-replaced');
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });

  it('an ask already answered by a handler still awaiting is not answered again when the worker dies', async () => {
    const system = await createActorSystem({ name: 'await-death-3', workers: 2, logger: quiet });
    try {
      const napper = await system.spawn(fixture('napper.actor'), { placement: { worker: 0 } });
      const crash = await system.spawn(fixture('crash.actor'), { placement: { worker: 0 } });
      const asker = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
      const started = new SharedArrayBuffer(4);
      await expect(asker.ask({ type: 'ask-raw', other: napper, value: { type: 'nap', started, ms: 30_000, replyFirst: true } }))
        .resolves.toBe('early');
      await counterAt(started, 1);
      const died = nextEvent(system, 'worker-died');
      crash.tell({ type: 'exit' });
      await died;
      await nextEvent(system, 'worker-replaced');
      await expect(asker.ask({ type: 'echo', value: 'after' })).resolves.toBe('after');
      expect(system.deadLetters.list({ reason: 'late-reply' })).toEqual([]);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
