// Pool actors (spawnPool) run on threads of their own, under the watchdog: nothing a pool task
// does (spin, exit, throw, hang in init or in native code) reaches the actors on host workers,
// every failure is a TroupeError with a code and a dead letter, and nothing hangs.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActorSystem, TroupeError, type ActorRef, type ActorSystem } from 'troupe';
import { counterAt, expectConserved, fixture, latch, nextEvent, quiet, until, withSystem } from '../helpers.js';

/** A counter on a host worker with 10 in it: the witness that host actors are untouched. */
async function witness(system: ActorSystem): Promise<ActorRef> {
  const counter = await system.spawn(fixture('counter.actor'));
  for (let i = 0; i < 10; i++) counter.tell({ type: 'inc' });
  expect(await counter.ask({ type: 'get' })).toBe(10);
  return counter;
}

/** What a promise rejected with (it fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<TroupeError> {
  return p.then((v) => { throw new Error(`expected a rejection, got ${JSON.stringify(v)}`); }, (err: TroupeError) => err);
}

describe('pool tasks run on threads of their own, under the watchdog', () => {
  it("pool messages run on threads of their own, at most `size` of them, never on a host worker's", async () => {
    await withSystem({ name: 'pool-threads', workers: 2 }, async (system) => {
      const hosts = await Promise.all([0, 1].map((worker) => system.spawn(fixture('echo.actor'), { placement: { worker } })));
      const hostThreads = new Set(await Promise.all(hosts.map((h) => h.ask<number>({ type: 'thread' }))));
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 3 });
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => pool.ask<{ value: number; threadId: number }>({ type: 'echo', value: i })));
      expect(replies.map((r) => r.value)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      const poolThreads = new Set(replies.map((r) => r.threadId));
      expect(poolThreads.size).toBeLessThanOrEqual(3);
      for (const t of poolThreads) expect(hostThreads.has(t)).toBe(false);
      await expectConserved(system);
    });
  });

  it('a pool task stuck in while(true) is terminated after maxHandlerMs and rejects with ERR_TROUPE_HANDLER_TIMEOUT, and host actors keep running', async () => {
    await withSystem({ name: 'pool-spin', workers: 1, maxHandlerMs: 300 }, async (system) => {
      const counter = await witness(system);
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1, name: 'spinner' });
      const started = new SharedArrayBuffer(4);
      const spin = rejection(pool.ask({ type: 'spin', started }, { timeoutMs: 10_000 }));
      await counterAt(started, 1);
      // While the task spins, the host worker answers.
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
      const err = await spin;
      expect(err).toBeInstanceOf(TroupeError);
      expect(err.code).toBe('ERR_TROUPE_HANDLER_TIMEOUT');
      expect(system.deadLetters.list({ reason: 'actor-failed' })).toMatchObject([
        { target: 'pool:spinner', message: { type: 'spin' }, error: { code: 'ERR_TROUPE_HANDLER_TIMEOUT' } },
      ]);
      expect(system.events.list('runaway')).toEqual([]);
      expect(system.events.list('worker-died')).toEqual([]);
      expect(system.events.list('pool-worker-died')).toMatchObject([{ pool: 'spinner', reason: 'timeout' }]);
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
      // The pool goes on, on a fresh worker.
      await expect(pool.ask({ type: 'echo', value: 1 })).resolves.toMatchObject({ value: 1 });
      await expectConserved(system);
    });
  }, 30_000);

  it('a pool task whose worker dies (process.exit, an uncaught throw) rejects with ERR_TROUPE_WORKER_FAILED, and host actors keep their state', async () => {
    await withSystem({ name: 'pool-exit', workers: 1 }, async (system) => {
      const counter = await witness(system);
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 2, name: 'doomed' });
      const exit = await rejection(pool.ask({ type: 'exit', code: 3 }));
      expect(exit).toBeInstanceOf(TroupeError);
      expect(exit.code).toBe('ERR_TROUPE_WORKER_FAILED');
      const thrown = await rejection(pool.ask({ type: 'throw-uncaught' }));
      expect(thrown).toBeInstanceOf(TroupeError);
      expect(thrown.code).toBe('ERR_TROUPE_WORKER_FAILED');
      expect(thrown.cause).toMatchObject({ message: 'uncaught in a timer' });
      expect(system.deadLetters.list({ reason: 'actor-failed' }).map((d) => (d.error as TroupeError | undefined)?.code))
        .toEqual(['ERR_TROUPE_WORKER_FAILED', 'ERR_TROUPE_WORKER_FAILED']);
      expect(system.events.list('worker-died')).toEqual([]);
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
      await expect(pool.ask({ type: 'echo', value: 2 })).resolves.toMatchObject({ value: 2 });
      await expectConserved(system);
    });
  }, 30_000);

  it('a pool task that runs its thread out of memory rejects with ERR_TROUPE_WORKER_FAILED, and host actors keep their state', async () => {
    await withSystem({ name: 'pool-oom', workers: 1 }, async (system) => {
      const counter = await witness(system);
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
      const oom = await rejection(pool.ask({ type: 'oom' }, { timeoutMs: 20_000 }));
      expect(oom).toBeInstanceOf(TroupeError);
      expect(oom.code).toBe('ERR_TROUPE_WORKER_FAILED');
      expect(oom.cause).toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
      expect(system.events.list('worker-died')).toEqual([]);
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
      await expect(pool.ask({ type: 'echo', value: 4 })).resolves.toMatchObject({ value: 4 });
      await expectConserved(system);
    });
  }, 30_000);

  it('two hung pool tasks do not wedge the pool: both time out, and the messages queued behind them run', async () => {
    await withSystem({ name: 'pool-two-hung', workers: 1, maxHandlerMs: 300 }, async (system) => {
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 2 });
      const spins = [rejection(pool.ask({ type: 'spin' }, { timeoutMs: 10_000 })), rejection(pool.ask({ type: 'spin' }, { timeoutMs: 10_000 }))];
      const echoes = Array.from({ length: 4 }, (_, i) => pool.ask<{ value: number }>({ type: 'echo', value: i }, { timeoutMs: 10_000 }));
      expect((await Promise.all(spins)).map((e) => e.code)).toEqual(['ERR_TROUPE_HANDLER_TIMEOUT', 'ERR_TROUPE_HANDLER_TIMEOUT']);
      expect((await Promise.all(echoes)).map((r) => r.value)).toEqual([0, 1, 2, 3]);
      expect(system.deadLetters.counts()['actor-failed']).toBe(2);
      await expectConserved(system);
    });
  }, 30_000);

  it('a CPU-bound pool task finishes within maxHandlerMs and is terminated past it; the host worker is never a runaway', async () => {
    await withSystem({ name: 'pool-busy', workers: 1, maxHandlerMs: 300 }, async (system) => {
      const counter = await witness(system);
      const pool = await system.spawnPool(fixture('busy.pool'), { size: 1 });
      await expect(pool.ask({ ms: 50 })).resolves.toBe(true);
      const err = await rejection(pool.ask({ ms: 5000 }, { timeoutMs: 10_000 }));
      expect(err.code).toBe('ERR_TROUPE_HANDLER_TIMEOUT');
      expect(system.events.list('runaway')).toEqual([]);
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
      await expectConserved(system);
    });
  }, 30_000);

  it('with the watchdog off (maxHandlerMs: false), a pool task runs as long as it needs', async () => {
    await withSystem({ name: 'pool-no-watchdog', workers: 1, maxHandlerMs: false }, async (system) => {
      const pool = await system.spawnPool(fixture('busy.pool'), { size: 1 });
      await expect(pool.ask({ ms: 400 })).resolves.toBe(true);
      expect(system.events.list('pool-worker-died')).toEqual([]);
    });
  });
});

describe('pool init', () => {
  it('spawnPool rejects with ERR_TROUPE_INIT_TIMEOUT when init never resolves within controlTimeoutMs', async () => {
    await withSystem({ name: 'pool-init-hangs', workers: 1, controlTimeoutMs: 1500 }, async (system) => {
      const counter = await witness(system);
      const count = new SharedArrayBuffer(4);
      const started = performance.now();
      const err = await rejection(system.spawnPool(fixture('init.pool'), { args: { count, hangFrom: 1 } }));
      expect(err).toBeInstanceOf(TroupeError);
      expect(err.code).toBe('ERR_TROUPE_INIT_TIMEOUT');
      expect(performance.now() - started).toBeLessThan(5000);
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
    });
  }, 20_000);

  it('init on a new pool worker is bounded by controlTimeoutMs, not maxHandlerMs: a slow init is no handler timeout, a hung one rejects with ERR_TROUPE_INIT_TIMEOUT', async () => {
    await withSystem({ name: 'pool-init-later', workers: 1, maxHandlerMs: 300, controlTimeoutMs: 2000 }, async (system) => {
      const count = new SharedArrayBuffer(4);
      const pool = await system.spawnPool(fixture('init.pool'), { size: 1, args: { count, busyMs: 450, hangFrom: 3 } });
      await expect(pool.ask({ type: 'which' })).resolves.toBe(1);
      expect((await rejection(pool.ask({ type: 'exit' }))).code).toBe('ERR_TROUPE_WORKER_FAILED');
      // A replacement worker runs init again (450 ms, past maxHandlerMs): the message is not timed out for it.
      await expect(pool.ask({ type: 'which' })).resolves.toBe(2);
      expect((await rejection(pool.ask({ type: 'exit' }))).code).toBe('ERR_TROUPE_WORKER_FAILED');
      const hung = await rejection(pool.ask({ type: 'which' }, { timeoutMs: 10_000 }));
      expect(hung).toBeInstanceOf(TroupeError);
      expect(hung.code).toBe('ERR_TROUPE_INIT_TIMEOUT');
      expect(system.deadLetters.list({ reason: 'actor-failed' }).map((d) => (d.error as TroupeError | undefined)?.code))
        .toEqual(['ERR_TROUPE_WORKER_FAILED', 'ERR_TROUPE_WORKER_FAILED', 'ERR_TROUPE_INIT_TIMEOUT']);
      await expectConserved(system);
    });
  }, 30_000);
});

describe('pool health', () => {
  it('health() is degraded within the health window after a pool worker died or a pool task timed out, then healthy again', async () => {
    await withSystem({ name: 'pool-health', workers: 1, maxHandlerMs: 300, healthWindowMs: 800 }, async (system) => {
      const counter = await witness(system);
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1, name: 'flaky' });
      expect(system.health().status).toBe('healthy');
      await rejection(pool.ask({ type: 'exit', code: 1 }));
      expect(system.health()).toMatchObject({ status: 'degraded', reasons: [expect.stringMatching(/pool flaky/)] });
      const probe = async () => { await counter.ask({ type: 'get' }); return system.health(); };
      expect((await until(probe, (h) => h.status === 'healthy', 5000)).status).toBe('healthy');
      await rejection(pool.ask({ type: 'spin' }));
      expect(system.health()).toMatchObject({ status: 'degraded', reasons: [expect.stringMatching(/pool flaky/)] });
      expect((await until(probe, (h) => h.status === 'healthy', 5000)).status).toBe('healthy');
    });
  }, 30_000);

  it('health() is critical while a pool worker stuck in native code cannot be terminated, and degraded once its thread exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-pool-fifo-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    let released = false;
    const release = () => { if (!released) { released = true; closeSync(openSync(fifo, 'w')); } };
    try {
      await withSystem({ name: 'pool-stuck', workers: 1, maxHandlerMs: 200, terminateTimeoutMs: 300 }, async (system) => {
        const counter = await witness(system);
        const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1, name: 'reader' });
        const stuck = nextEvent(system, 'pool-worker-stuck');
        const err = await rejection(pool.ask({ type: 'read-fifo', path: fifo }));
        expect(err.code).toBe('ERR_TROUPE_HANDLER_TIMEOUT');
        await stuck;
        expect(system.health()).toMatchObject({ status: 'critical', reasons: expect.arrayContaining([expect.stringMatching(/pool reader.*stuck/)]) });
        // The pool goes on without the stuck thread; host actors too.
        await expect(pool.ask({ type: 'echo', value: 3 })).resolves.toMatchObject({ value: 3 });
        await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
        release();
        const probe = async () => { await counter.ask({ type: 'get' }); return system.health(); };
        expect((await until(probe, (h) => h.status !== 'critical', 5000)).status).toBe('degraded');
        await expectConserved(system);
      });
    } finally {
      release();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("pool errors are TroupeErrors with stable codes", () => {
  it('PoolRef.ask rejects a signal that is not an AbortSignal and a bad timeoutMs with ERR_TROUPE_INVALID_ARGUMENT; timeoutMs: Infinity means no timeout', async () => {
    await withSystem({ name: 'pool-ask-options', workers: 1 }, async (system) => {
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1 });
      for (const options of [{ signal: {} }, { signal: 'abort' }, { timeoutMs: -1 }, { timeoutMs: 0 }, { timeoutMs: Number.NaN }, { timeoutMs: '5' }, { timeoutMs: 2 ** 31 }]) {
        const err = await rejection(pool.ask({ type: 'echo', value: 0 }, options as never));
        expect(err, JSON.stringify(options)).toBeInstanceOf(TroupeError);
        expect(err.code, JSON.stringify(options)).toBe('ERR_TROUPE_INVALID_ARGUMENT');
      }
      await expect(pool.ask({ type: 'echo', value: 1 }, { timeoutMs: Infinity })).resolves.toMatchObject({ value: 1 });
      expect((await system.stats()).sent).toBe(1);
      await expectConserved(system);
    });
  });

  it("a pool's own failures reach the caller as TroupeErrors (unencodable, full, timeout, aborted); a handler's error reaches the asker as itself", async () => {
    await withSystem({ name: 'pool-errors', workers: 1 }, async (system) => {
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1, capacity: 2 });
      const unencodable = await rejection(pool.ask({ type: 'echo', value: () => 1 }));
      expect(unencodable).toBeInstanceOf(TroupeError);
      expect(unencodable.code).toBe('ERR_TROUPE_UNENCODABLE_MESSAGE');
      const l = latch();
      const blocked = pool.ask({ type: 'block', latch: l.sab }, { timeoutMs: 10_000 });
      await l.waiting();
      // Two wait in the queue (its capacity) ...
      const late = rejection(pool.ask({ type: 'echo', value: 'late' }, { timeoutMs: 50 }));
      const controller = new AbortController();
      const aborted = rejection(pool.ask({ type: 'echo', value: 'aborted' }, { signal: controller.signal }));
      controller.abort();
      expect((await aborted).code).toBe('ERR_TROUPE_ASK_ABORTED');
      expect((await late).code).toBe('ERR_TROUPE_ASK_TIMEOUT');
      // ... so a third finds it full.
      const full = await rejection(pool.ask({ type: 'echo', value: 'full' }));
      expect(full).toBeInstanceOf(TroupeError);
      expect(full.code).toBe('ERR_TROUPE_MAILBOX_FULL');
      l.open();
      await expect(blocked).resolves.toBe('released');
      const own = await rejection(pool.ask({ type: 'fail', message: 'nope' }));
      expect(own).not.toBeInstanceOf(TroupeError);
      expect(own).toMatchObject({ name: 'RangeError', message: 'nope' });
      expect(system.deadLetters.counts()).toMatchObject({ 'actor-failed': 2, 'pool-full': 1 });
      // The timed-out and aborted asks' messages still ran: a barrier, then the count.
      await expect(pool.ask({ type: 'echo', value: 'last' })).resolves.toMatchObject({ value: 'last' });
      await expectConserved(system);
    });
  });

  it('after shutdown, PoolRef.tell throws and ask rejects with ERR_TROUPE_SYSTEM_STOPPED', async () => {
    const system = await createActorSystem({ name: 'pool-after-shutdown', workers: 1, logger: quiet });
    const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1 });
    await system.shutdown();
    expect(() => pool.tell({ type: 'echo', value: 1 })).toThrow(expect.objectContaining({ code: 'ERR_TROUPE_SYSTEM_STOPPED' }));
    expect((await rejection(pool.ask({ type: 'echo', value: 1 }))).code).toBe('ERR_TROUPE_SYSTEM_STOPPED');
    await expectConserved(system);
  });
});

describe('pool shutdown', () => {
  it('shutdown waits for pool messages to drain', async () => {
    const system = await createActorSystem({ name: 'pool-drain', workers: 1, logger: quiet });
    const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1 });
    const l = latch();
    const blocked = pool.ask({ type: 'block', latch: l.sab }, { timeoutMs: 10_000 });
    const queued = [1, 2].map((value) => pool.ask({ type: 'echo', value }, { timeoutMs: 10_000 }));
    await l.waiting();
    const done = system.shutdown({ timeoutMs: 10_000 });
    l.open();
    await done;
    await expect(blocked).resolves.toBe('released');
    expect(await Promise.all(queued)).toMatchObject([{ value: 1 }, { value: 2 }]);
    expect(system.deadLetters.count).toBe(0);
    await expectConserved(system);
  });

  it('what is still running or queued in a pool at the shutdown deadline is dead-lettered actor-stopped, and its asks reject with ERR_TROUPE_SYSTEM_STOPPED', async () => {
    const system = await createActorSystem({ name: 'pool-stop', workers: 1, logger: quiet });
    const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1, name: 'slow' });
    const l = latch();
    const asks = [
      rejection(pool.ask({ type: 'block', latch: l.sab }, { timeoutMs: 10_000 })),
      ...[1, 2].map((value) => rejection(pool.ask({ type: 'echo', value }, { timeoutMs: 10_000 }))),
    ];
    await l.waiting();
    await system.shutdown({ timeoutMs: 300 });
    expect((await Promise.all(asks)).map((e) => e.code)).toEqual(Array(3).fill('ERR_TROUPE_SYSTEM_STOPPED'));
    expect(system.deadLetters.counts()).toEqual({ 'actor-stopped': 3 });
    expect(system.deadLetters.list({ reason: 'actor-stopped' }).map((d) => d.target)).toEqual(Array(3).fill('pool:slow'));
    await expectConserved(system);
  });
});

describe('pool flow control', () => {
  it('without a capacity nothing is dropped: tell returns false past the high-water mark and ready() waits for room', async () => {
    await withSystem({ name: 'pool-flow', workers: 1, mailbox: { highWaterMark: 3 } }, async (system) => {
      const pool = await system.spawnPool(fixture('hazard.pool'), { size: 1 });
      const l = latch();
      const blocked = pool.ask({ type: 'block', latch: l.sab }, { timeoutMs: 10_000 });
      await l.waiting();
      // The running one does not wait: three waiting reach the mark.
      expect([1, 2, 3, 4].map((value) => pool.tell({ type: 'echo', value }))).toEqual([true, true, false, false]);
      let readied = false;
      const ready = pool.ready().then(() => { readied = true; });
      await Promise.resolve();
      expect(readied).toBe(false);
      l.open();
      await blocked;
      await ready;
      // One thread, in order: once this is answered, the four before it ran.
      expect(await pool.ask<{ value: number }>({ type: 'echo', value: 5 })).toMatchObject({ value: 5 });
      expect(system.deadLetters.counts()).toEqual({});
      await expectConserved(system);
    });
  });
});
