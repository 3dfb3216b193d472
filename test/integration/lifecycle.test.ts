import { describe, expect, it } from 'vitest';
import { createActorSystem, TroupeError, type ActorRef } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

describe('spawning, stopping and shutting down', () => {
  it('fails spawn with a clear code for a missing module, a module without an actor, or a failing init, and stays healthy', async () => {
    const system = await createActorSystem({ name: 'spawn', workers: 2, logger: quiet });
    try {
      await expect(system.spawn(fixture('does-not-exist'))).rejects.toMatchObject({ name: 'TroupeError', code: 'ERR_TROUPE_MODULE_NOT_FOUND' });
      await expect(system.spawn(fixture('not-an-actor'))).rejects.toMatchObject({ code: 'ERR_TROUPE_NOT_AN_ACTOR' });
      const initErr = await system.spawn(fixture('bad-init.actor'), { name: 'bad' }).catch((e: unknown) => e);
      expect(initErr).toMatchObject({ code: 'ERR_TROUPE_INIT_FAILED' });
      expect((initErr as Error).cause).toMatchObject({ message: 'no database configured' });
      expect(system.lookup('bad')).toBeUndefined();
      await expect(system.spawn('./relative.js')).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      await expect(system.spawn(fixture('counter.actor'), { placement: { worker: 9 } })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      await expect(system.spawn(fixture('counter.actor'), { args: { f: () => 1 } })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      // Still healthy: the name 'bad' is free again, and both workers serve.
      for (const worker of [0, 1]) {
        const c = await system.spawn(fixture('counter.actor'), { name: `ok-${worker}`, placement: { worker } });
        c.tell({ type: 'inc' });
        await expect(c.ask({ type: 'get' })).resolves.toBe(1);
      }
      await expect(system.spawn(fixture('counter.actor'), { name: 'ok-0' })).rejects.toMatchObject({ code: 'ERR_TROUPE_NAME_TAKEN' });
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });

  it('spawns 100,000 actors in one worker, and every one answers', async () => {
    const system = await createActorSystem({ name: 'many', workers: 1, logger: quiet });
    try {
      const parent = await system.spawn(fixture('parent.actor'));
      await expect(parent.ask({ type: 'spawn-many', count: 100_000 }, { timeoutMs: 60_000 })).resolves.toBe(100_000);
      expect((await system.stats()).actors).toBe(100_001);
      const children = await parent.ask<import('troupe').ActorRef[]>({ type: 'children' }, { timeoutMs: 30_000 });
      expect(new Set(children.map((c) => c.id)).size).toBe(100_000);
      // A sample across the range answers from main.
      const sample = await Promise.all(children.filter((_, i) => i % 997 === 0).map((c) => c.ask('hi')));
      expect(sample.every((r) => r === 'leaf')).toBe(true);
      await expectConserved(system);
    } finally {
      await system.shutdown({ timeoutMs: 30_000 });
    }
    expect((await system.stats()).actors).toBe(0);
  });

  it('stops children before their parent, last started first, and forgets the names', async () => {
    const system = await createActorSystem({ name: 'stop', workers: 1, logger: quiet });
    const log = new SharedArrayBuffer(4 * 8);
    const parent = await system.spawn(fixture('parent.actor'), { name: 'parent' });
    const paths = await parent.ask({ type: 'spawn-named', names: ['a', 'b', 'c'], log });
    expect(paths).toEqual(['/user/parent/a', '/user/parent/b', '/user/parent/c']);
    expect(system.lookup('/user/parent/b')?.path).toBe('/user/parent/b');
    await system.stop(parent);
    const order = new Int32Array(log);
    expect([...order.slice(1, 1 + order[0]!)]).toEqual([3, 2, 1]);
    expect(system.lookup('parent')).toBeUndefined();
    expect(system.lookup('/user/parent/b')).toBeUndefined();
    await expect(parent.ask('hi')).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_NOT_FOUND' });
    await system.shutdown();
    await expectConserved(system);
  });

  it('drains every mailbox on shutdown before stopping, then refuses new work', async () => {
    const system = await createActorSystem({ name: 'drain', workers: 2, logger: quiet });
    const stopped = new SharedArrayBuffer(4);
    const counters = await Promise.all([0, 1].map((worker) => system.spawn(fixture('counter.actor'), { placement: { worker }, mailbox: { capacity: 100_000 } })));
    const failing = await system.spawn(fixture('failing.actor'), { args: { stopped } });
    for (let i = 0; i < 50_000; i++) for (const c of counters) c.tell({ type: 'inc' });
    await system.shutdown();
    const s = await system.stats();
    expect(s).toMatchObject({ sent: 100_000, processed: 100_000, deadLettered: 0, queued: 0, inFlight: 0, actors: 0 });
    expect(new Int32Array(stopped)[0]).toBe(1); // postStop ran
    expect(() => counters[0]!.tell({ type: 'inc' })).toThrow(TroupeError);
    await expect(counters[0]!.ask({ type: 'get' })).rejects.toMatchObject({ code: 'ERR_TROUPE_SYSTEM_STOPPED' });
    await expect(system.spawn(fixture('counter.actor'))).rejects.toMatchObject({ code: 'ERR_TROUPE_SYSTEM_STOPPED' });
    void failing;
  });

  it('rejects bad system options with ERR_TROUPE_INVALID_ARGUMENT', async () => {
    await expect(createActorSystem({ workers: 0 })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    await expect(createActorSystem({ workers: 1.5 })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    await expect(createActorSystem({ name: '' })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    // The backstop timer's period: outside a timer's range Node would fire it every millisecond.
    for (const parkMs of [0, Infinity, Number.NaN, 2 ** 31]) {
      await expect(createActorSystem({ tuning: { parkMs } })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining('parkMs') });
    }
    // A node id must be a subject token of at most 128 characters (it goes in every payload's header).
    for (const node of ['a b', 'x'.repeat(129)]) {
      await expect(createActorSystem({ node, nats: { servers: 'nats://127.0.0.1:1' } })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT', message: expect.stringContaining('node') });
    }
  });
});

describe('ctx.spawn of a module already loaded (made without an await)', () => {
  it('gives the same outcomes as the first spawn: a promise that rejects (never a throw), a freed name after a failed init, a name taken in the same turn', async () => {
    const system = await createActorSystem({ name: 'spawn-now', workers: 1, logger: quiet });
    try {
      const probe = await system.spawn(fixture('spawn-probe.actor'));
      await expect(probe.ask('go')).resolves.toEqual({
        first: { ok: 'leaf' },
        badFirst: { code: 'ERR_TROUPE_INIT_FAILED' },
        badAgain: { code: 'ERR_TROUPE_INIT_FAILED' },
        nameFreed: { ok: 'leaf' },
        badOption: { code: 'ERR_TROUPE_INVALID_ARGUMENT' },
        twinA: { ok: 'leaf' },
        twinB: { code: 'ERR_TROUPE_NAME_TAKEN' },
      });
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});

describe('a chain of actors each spawned by its parent\'s init', () => {
  // Regression: with the module loaded, ctx.spawn made the child (and ran its init) within the
  // call, so a chain spawned from init recursed on the stack, one level per link, and overflowed
  // it a few thousand links down. Past a few levels the making now goes on in a microtask.
  it('is made to any length (5,000 links here), as when each link waited for its module', async () => {
    const system = await createActorSystem({ name: 'chain', workers: 1, logger: quiet });
    try {
      const recorder = await system.spawn(fixture('recorder.actor'), { placement: { worker: 0 } });
      await system.spawn(fixture('chain.actor'), { placement: { worker: 0 }, args: { n: 5000, depth: 0, notify: recorder } });
      let got: unknown[] = [];
      for (let i = 0; i < 10_000 && got.length === 0; i++) got = await recorder.ask<unknown[]>({ type: 'got' });
      expect(got).toEqual([{ done: 5000, path: expect.any(String) }]);
      // Its path names all 5,001 links (below a long path, a child's is a rope over its parent's).
      expect((got[0] as { path: string }).path).toMatch(/^\/user(\/\$1\.\d+){5001}$/);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});

describe('the paths of unnamed children', () => {
  // A child's path is its parent's and its own id; the part before the id is made once for the
  // children spawned one after another by one parent, so parents taking turns must each get theirs.
  it('name each child\'s own parent, when parents on one worker spawn in turns, and top-level actors under /user', async () => {
    const system = await createActorSystem({ name: 'paths', workers: 1, logger: quiet });
    try {
      const a = await system.spawn(fixture('parent.actor'), { placement: { worker: 0 } });
      const b = await system.spawn(fixture('parent.actor'), { placement: { worker: 0 } });
      expect([a.path, b.path]).toEqual([`/user/$${a.thread}.${a.id}`, `/user/$${b.thread}.${b.id}`]);
      for (const [parent, n] of [[a, 3], [b, 2], [a, 2], [b, 1]] as const) await parent.ask({ type: 'spawn-many', count: n });
      for (const [parent, n] of [[a, 5], [b, 3]] as const) {
        const children = await parent.ask<ActorRef[]>({ type: 'children' });
        expect(children.map((c) => c.path)).toEqual(children.map((c) => `${parent.path}/$${c.thread}.${c.id}`));
        expect(children).toHaveLength(n);
      }
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
