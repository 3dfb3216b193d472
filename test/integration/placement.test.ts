import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet } from '../helpers.js';

describe('placement and pool actors', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'place', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  it("'shared' spreads actors over the least-loaded workers", async () => {
    const refs = await Promise.all(Array.from({ length: 6 }, () => system.spawn(fixture('echo.actor'))));
    const threads = refs.map((r) => r.thread);
    expect(threads.filter((t) => t === 1).length).toBe(3);
    expect(threads.filter((t) => t === 2).length).toBe(3);
  });

  it('runs pool messages as piscina tasks on threads of their own, with replies and errors', async () => {
    const pool = await system.spawnPool(fixture('hash.actor'), { size: 4 });
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.ask<{ hash: number; threadId: number }>({ text: `item-${i}` })));
    expect(new Set(replies.map((r) => r.hash)).size).toBe(40);
    await expect(pool.ask({ fail: true })).rejects.toMatchObject({ name: 'TypeError', message: 'cannot hash that' });
    await expect(system.spawnPool(fixture('not-an-actor'))).rejects.toMatchObject({ code: 'ERR_TROUPE_NOT_AN_ACTOR' });
    expect(system.deadLetters.counts()['actor-failed']).toBe(1);
  });

  it('keeps the count with pool work finished', async () => {
    await expectConserved(system);
  });
});

describe('dedicated placement', () => {
  it("runs an actor on a worker of its own, whose crash takes nothing else down", async () => {
    const system = await createActorSystem({ name: 'dedicated', workers: 1, logger: quiet });
    try {
      const neighbour = await system.spawn(fixture('echo.actor'));
      const loner = await system.spawn(fixture('crash.actor'), { placement: 'dedicated', resourceLimits: { maxOldGenerationSizeMb: 64 } });
      expect(loner.thread).toBe(2);
      await expect(loner.ask('ping')).resolves.toBe('pong');
      const replaced = nextEvent(system, 'worker-replaced');
      loner.tell({ type: 'exit' });
      // Its worker is replaced (with the same limits) and the actor restarted under the same ref.
      expect((await replaced).restarted).toEqual([loner.path]);
      await expect(loner.ask({ type: 'ping' })).resolves.toBe('pong');
      await expect(neighbour.ask({ type: 'echo', value: 'still here' })).resolves.toBe('still here');
      // The message whose handler took the worker down is dead-lettered, not silently gone.
      expect(system.deadLetters.list({ reason: 'worker-died' })).toMatchObject([{ target: loner.path }]);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });

  it('mail to an actor whose dedicated worker closed with it is dead-lettered no-such-actor at once, from main and from an actor; its asks reject ERR_TROUPE_ACTOR_NOT_FOUND', async () => {
    const system = await createActorSystem({ name: 'dedicated-closed', workers: 1, logger: quiet });
    try {
      const loner = await system.spawn(fixture('counter.actor'), { placement: 'dedicated' });
      await expect(loner.ask({ type: 'get' })).resolves.toBe(0);
      await system.stop(loner);
      const forward = await system.spawn(fixture('forward.actor'), { args: { to: loner } });
      expect(loner.tell({ type: 'inc' })).toBe(true);
      await expect(loner.ask({ type: 'get' }, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_NOT_FOUND' });
      // From an actor: its ask to the closed worker's actor rejects, and so does the forward
      // (after the forwarder's retries: each one asks again).
      await expect(forward.ask({ type: 'get' }, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_NOT_FOUND' });
      const dead = system.deadLetters.list({ reason: 'no-such-actor' }).map((d) => [d.target, d.message]);
      expect(dead.slice(0, 2)).toEqual([[loner.path, { type: 'inc' }], [loner.path, { type: 'get' }]]);
      expect(dead.length).toBeGreaterThan(2);
      expect(dead.slice(2)).toEqual(dead.slice(2).map(() => [loner.path, { type: 'get' }]));
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
