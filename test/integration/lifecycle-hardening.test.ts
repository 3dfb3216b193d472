// Restarts, lifecycle hooks and init under failure: a hook that throws or hangs is a failure of
// the actor (bounded by shutdownMs), init is bounded by initTimeoutMs, the message that trips the
// restart limit ends with its own error, and a worker that dies in one actor's code takes no
// sibling with it for good.
import { describe, expect, it } from 'vitest';
import type { ActorSystem, SupervisionEvent } from 'troupe';
import { counterAt, deadLetters, expectConserved, fixture, nextEvent, quiet, until, withSystem } from '../helpers.js';

const fast = { backoff: { minMs: 1, maxMs: 1, jitter: 0 } };

const failures = (system: ActorSystem, actor: string) =>
  system.events.list('failure').filter((e) => (e as Extract<SupervisionEvent, { type: 'failure' }>).actor === actor) as Extract<SupervisionEvent, { type: 'failure' }>[];

describe('the message that trips the restart limit', () => {
  it("is answered with the handler's error, and dead-lettered actor-failed with it", async () => {
    await withSystem({ name: 'trip', workers: 1 }, async (system) => {
      const a = await system.spawn(fixture('lifecycle.actor'), { name: 'a', supervision: { ...fast, maxRestarts: 1, withinMs: 60_000 } });
      const escalated = nextEvent(system, 'escalate', (e) => e.actor === a.path);
      // Retried after the first restart (maxRetries 2), it fails again: the second restart is one too many.
      await expect(a.ask({ type: 'fail' })).rejects.toMatchObject({ message: 'boom' });
      await escalated;
      await deadLetters(system, 'actor-failed', 1); // (dead letters come on their own port)
      expect(system.deadLetters.list({ reason: 'actor-failed' }).at(-1)).toMatchObject({ target: a.path, message: { type: 'fail' } });
      expect(system.deadLetters.list({ reason: 'actor-stopped' })).toHaveLength(0);
      await expectConserved(system);
    });
  });
});

describe('lifecycle hooks', () => {
  it('a preRestart that throws is reported, and the actor restarts all the same', async () => {
    await withSystem({ name: 'pre-throw', workers: 1 }, async (system) => {
      const inits = new SharedArrayBuffer(4);
      const a = await system.spawn(fixture('lifecycle.actor'), { args: { inits, preRestart: 'throw' }, supervision: { ...fast, maxRetries: 0 } });
      await expect(a.ask({ type: 'fail' })).rejects.toMatchObject({ message: 'boom' });
      await expect(a.ask({ type: 'ping' })).resolves.toBe('pong');
      await expect(a.ask({ type: 'inits' })).resolves.toBe(2);
      expect(failures(system, a.path).map((e) => e.error.message)).toEqual(['boom', 'preRestart failed']);
      await expectConserved(system);
    });
  });

  it('a preRestart that hangs is given up on after shutdownMs, and the actor restarts', async () => {
    await withSystem({ name: 'pre-hang', workers: 1 }, async (system) => {
      const inits = new SharedArrayBuffer(4);
      const a = await system.spawn(fixture('lifecycle.actor'), { args: { inits, preRestart: 'hang' }, shutdownMs: 200, supervision: { ...fast, maxRetries: 0 } });
      await expect(a.ask({ type: 'fail' })).rejects.toMatchObject({ message: 'boom' });
      await expect(a.ask({ type: 'inits' })).resolves.toBe(2);
      expect(failures(system, a.path).at(-1)!.error).toMatchObject({ code: 'ERR_TROUPE_HOOK_TIMEOUT' });
    });
  });

  it('a postRestart that throws is a failure of the actor: it restarts again', async () => {
    await withSystem({ name: 'post-throw-once', workers: 1 }, async (system) => {
      const inits = new SharedArrayBuffer(4);
      const a = await system.spawn(fixture('lifecycle.actor'), { args: { inits, postRestart: 'throw-once' }, supervision: { ...fast, maxRetries: 0 } });
      await expect(a.ask({ type: 'fail' })).rejects.toMatchObject({ message: 'boom' });
      await counterAt(inits, 3);
      await expect(a.ask({ type: 'ping' })).resolves.toBe('pong');
      expect(failures(system, a.path).map((e) => e.error.message)).toEqual(['boom', 'postRestart failed']);
    });
  });

  it('a postRestart that hangs is a failure after shutdownMs: it restarts again', async () => {
    await withSystem({ name: 'post-hang-once', workers: 1 }, async (system) => {
      const inits = new SharedArrayBuffer(4);
      const a = await system.spawn(fixture('lifecycle.actor'), { args: { inits, postRestart: 'hang-once' }, shutdownMs: 200, supervision: { ...fast, maxRetries: 0 } });
      await expect(a.ask({ type: 'fail' })).rejects.toMatchObject({ message: 'boom' });
      await counterAt(inits, 3);
      await expect(a.ask({ type: 'ping' })).resolves.toBe('pong');
    });
  });

  it('a postRestart that always throws escalates once the restart limit is reached, and frees the name', async () => {
    await withSystem({ name: 'post-throw', workers: 1 }, async (system) => {
      const a = await system.spawn(fixture('lifecycle.actor'), { name: 'always', args: { postRestart: 'throw' }, supervision: { ...fast, maxRetries: 0, maxRestarts: 2 } });
      const escalated = nextEvent(system, 'escalate', (e) => e.actor === a.path);
      a.tell({ type: 'fail' });
      await escalated;
      expect(system.health().status).toBe('critical');
      // It stops after the escalation: then its name is free.
      await until(() => new Promise((r) => setImmediate(() => r(system.lookup('always')))), (ref) => ref === undefined, 5000);
      await expect(system.spawn(fixture('lifecycle.actor'), { name: 'always' })).resolves.toBeDefined();
    });
  });

  it('an init that throws on restart is a failure of the actor: retried within its restart limit, then escalated', async () => {
    await withSystem({ name: 'init-throw', workers: 1 }, async (system) => {
      const inits = new SharedArrayBuffer(4);
      const a = await system.spawn(fixture('lifecycle.actor'), { args: { inits, init: 'throw-on-restart' }, supervision: { ...fast, maxRetries: 0, maxRestarts: 2 } });
      const escalated = nextEvent(system, 'escalate', (e) => e.actor === a.path);
      a.tell({ type: 'fail' });
      await escalated;
      // The first init, then one per restart allowed.
      expect(Atomics.load(new Int32Array(inits), 0)).toBe(3);
      await expectConserved(system);
    });
  });

  it('a postStop that hangs: stop resolves after shutdownMs, the actor is gone, and its name is free', async () => {
    await withSystem({ name: 'post-stop-hang', workers: 1 }, async (system) => {
      const a = await system.spawn(fixture('lifecycle.actor'), { name: 'stuck', args: { postStop: 'hang' }, shutdownMs: 200 });
      const t0 = performance.now();
      await system.stop(a);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(system.lookup('stuck')).toBeUndefined();
      const again = await system.spawn(fixture('lifecycle.actor'), { name: 'stuck' });
      await expect(again.ask({ type: 'ping' })).resolves.toBe('pong');
      expect(failures(system, a.path).at(-1)!.error).toMatchObject({ code: 'ERR_TROUPE_HOOK_TIMEOUT' });
    });
  });
});

describe('init', () => {
  it('an init that never resolves fails the spawn with ERR_TROUPE_INIT_TIMEOUT after initTimeoutMs, and frees the name', async () => {
    await withSystem({ name: 'init-hang', workers: 1 }, async (system) => {
      await expect(system.spawn(fixture('lifecycle.actor'), { name: 'slow', args: { init: 'hang' }, initTimeoutMs: 200 }))
        .rejects.toMatchObject({ code: 'ERR_TROUPE_INIT_TIMEOUT' });
      await expect(system.spawn(fixture('lifecycle.actor'), { name: 'slow' })).resolves.toBeDefined();
    });
  });
});

describe('a worker that dies in one actor\'s code', () => {
  it('an actor whose init exits its worker on restart escalates; its sibling restarts and keeps working', async () => {
    await withSystem({ name: 'init-exits', workers: 1 }, async (system) => {
      const inits = new SharedArrayBuffer(4);
      const a = await system.spawn(fixture('lifecycle.actor'), { name: 'exits', args: { inits, init: 'exit-on-restart' }, supervision: { ...fast, maxRetries: 0 } });
      const sibling = await system.spawn(fixture('counter.actor'), { name: 'sibling' });
      const escalated = nextEvent(system, 'escalate', (e) => e.actor === a.path);
      a.tell({ type: 'fail' });
      await escalated;
      // Once the sibling is back, it takes mail again.
      const back = await (async () => {
        for (let i = 0; i < 200; i++) {
          const r = await sibling.ask({ type: 'get' }, { timeoutMs: 2000 }).catch(() => undefined);
          if (r !== undefined) return r;
        }
        return undefined;
      })();
      expect(back).toBeTypeOf('number');
      sibling.tell({ type: 'inc' });
      await expect(sibling.ask({ type: 'get' })).resolves.toBe((back as number) + 1);
      expect(system.lookup('sibling')?.equals(sibling)).toBe(true);
      expect(system.lookup('exits')).toBeUndefined();
      expect(system.health().status).toBe('critical');
      await expectConserved(system);
    });
  });
});

describe('a stop that gives up on what is running', () => {
  it("a `terminated` hook still running at stop is left behind: the stop resolves and the counts hold", async () => {
    await withSystem({ name: 'slow-watch', workers: 1 }, async (system) => {
      const hits = new SharedArrayBuffer(4);
      const leaf = await system.spawn(fixture('echo.actor'));
      // Watching from init: the watcher has handled no message when the hook runs.
      const fromInit = await system.spawn(fixture('slow-watch.actor'), { shutdownMs: 200, args: { ref: leaf, hits } });
      const viaMessage = await system.spawn(fixture('slow-watch.actor'), { shutdownMs: 200, args: { hits } });
      viaMessage.tell({ type: 'watch', ref: leaf });
      await expect(viaMessage.ask({ type: 'ping' })).resolves.toBe('pong');
      await system.stop(leaf);
      await counterAt(hits, 2); // both hooks run (and wait)
      await expect(system.stop(fromInit)).resolves.toBeUndefined();
      await expect(system.stop(viaMessage)).resolves.toBeUndefined();
      expect(system.deadLetters.counts()['stop-timeout']).toBeUndefined();
      expect((await system.stats()).actors).toBe(0);
      await expectConserved(system);
    });
  });
});

describe('an init given up on', () => {
  it('spawns nothing after it timed out: no actor is left behind', async () => {
    await withSystem({ name: 'zombie-init', workers: 1 }, async (system) => {
      const tried = new SharedArrayBuffer(4);
      await expect(system.spawn(fixture('zombie-init.actor'), { initTimeoutMs: 100, args: { delayMs: 300, child: fixture('echo.actor').href, tried } }))
        .rejects.toMatchObject({ code: 'ERR_TROUPE_INIT_TIMEOUT' });
      await counterAt(tried, 1);
      expect(Atomics.load(new Int32Array(tried), 0)).toBe(2); // its spawn was refused
      expect((await system.stats()).actors).toBe(0);
    });
  });
});

describe('an ask answered before its handler threw', () => {
  it('is not retried (a retry would answer it again)', async () => {
    await withSystem({ name: 'answered-then-threw', workers: 1 }, async (system) => {
      const a = await system.spawn(fixture('reply-throw.actor'), { supervision: { ...fast } });
      await expect(a.ask({ type: 'reply-then-throw' })).resolves.toBe('first');
      await deadLetters(system, 'actor-failed', 1);
      await expect(a.ask({ type: 'attempts' })).resolves.toBe(1);
      expect(system.deadLetters.counts()['late-reply']).toBeUndefined();
      await expectConserved(system);
    });
  });
});

