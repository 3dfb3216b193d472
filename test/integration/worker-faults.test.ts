// Worker faults (issue 3, item 6): a host worker that throws, exits, runs out of heap, or blocks
// in a handler is replaced; its top-level actors restart under the same refs; mail still in its
// rings is processed by the replacement; what died with its heap is dead-lettered with a count.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { counterAt, expectConserved, fixture, nextEvent, quiet, withSystem } from '../helpers.js';

/** The `lost` count of the system's `worker-died` dead letter for a worker, 0 if none. */
function lostWith(system: ActorSystem, worker: number): number {
  const entry = system.deadLetters.list({ reason: 'worker-died' }).find((e) => e.target === `worker ${worker}`);
  return entry ? (entry.message as { lost: number }).lost : 0;
}

describe('a runaway handler (while(true){})', () => {
  it('is terminated by the watchdog; the replacement restarts the actors and reads every message left in the rings', async () => {
    await withSystem({ name: 'runaway', workers: 2, maxHandlerMs: 300 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'), { name: 'faulty', placement: { worker: 0 } });
      const counter = await system.spawn(fixture('counter.actor'), { name: 'counter', placement: { worker: 0 } });
      const temp = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 }, restart: 'temporary' });
      const sender = await system.spawn(fixture('sender.actor'), { placement: { worker: 1 } });
      const count = new SharedArrayBuffer(4);
      const watcher = await system.spawn(fixture('watcher.actor'), { placement: { worker: 1 }, args: { count } });
      await watcher.ask({ type: 'watch', ref: counter });
      await watcher.ask({ type: 'watch', ref: temp });
      for (let i = 0; i < 100; i++) counter.tell({ type: 'inc' });
      expect(await counter.ask({ type: 'get' })).toBe(100);

      const runaway = nextEvent(system, 'runaway');
      const replaced = nextEvent(system, 'worker-replaced');
      const spin = faulty.ask({ type: 'spin' }, { timeoutMs: 20_000 });
      expect(await runaway).toMatchObject({ worker: 0, actor: '/user/faulty' });
      // Worker 0 is blocked, then dead: all of this waits in its rings (main's and worker 1's).
      for (let seq = 0; seq < 1000; seq++) counter.tell({ type: 'inc', from: 'main', seq });
      const fromWorker1 = sender.ask({ type: 'send', to: counter, count: 500, from: 'w1', chunk: 500 }, { timeoutMs: 20_000 });
      // Too big for the ring: it goes over the link's port, into the blocked worker's heap, and dies there.
      counter.tell({ type: 'inc', pad: 'x'.repeat(70_000) });

      await expect(spin).rejects.toMatchObject({ code: 'ERR_TROUPE_HANDLER_TIMEOUT' });
      expect((await replaced).restarted.sort()).toEqual(['/user/counter', '/user/faulty']);
      expect(await fromWorker1).toBe(500);
      // The restarted counter (its state new) got every message that waited in the rings, in order.
      expect(await counter.ask({ type: 'report' })).toEqual({ n: 1500, sum: 1500, outOfOrder: 0, last: { main: 999, w1: 499 } });
      expect(system.lookup('counter')).toBe(counter);
      await expect(faulty.ask({ type: 'ping' })).resolves.toBe('pong');

      // The message in the handler is dead-lettered `timeout`; the port message, `worker-died`.
      expect(system.deadLetters.counts()).toEqual({ timeout: 1, 'worker-died': 1 });
      expect(system.deadLetters.list({ reason: 'timeout' })[0]).toMatchObject({ target: '/user/faulty', error: { code: 'ERR_TROUPE_HANDLER_TIMEOUT' } });
      // Watch: the temporary actor is gone (one notice); the counter lives on, watched anew.
      await counterAt(count, 1);
      await system.stop(counter);
      await counterAt(count, 2);
      expect(await watcher.ask({ type: 'seen' })).toEqual([temp.path, counter.path]);

      const health = system.health();
      expect(health.status).toBe('degraded');
      expect(health.workers).toEqual({ total: 2, alive: 2 });
      expect(health.restarts).toBe(2);
      await expectConserved(system);
    });
  });
});

describe('a worker that dies', () => {
  it('by process.exit(1) in a handler: replaced; every message is processed or dead-lettered with a count', async () => {
    await withSystem({ name: 'exit', workers: 2 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'), { name: 'faulty', placement: { worker: 0 } });
      const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 0 } });
      const other = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 } });
      const died = nextEvent(system, 'worker-died');
      const replaced = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      for (let i = 0; i < 1000; i++) { counter.tell({ type: 'inc' }); other.tell({ type: 'inc' }); }
      expect(await died).toMatchObject({ worker: 0, actor: '/user/faulty', reason: 'worker-died' });
      await replaced;
      // Those read into the dead worker's mailboxes died with it (counted); the rest were still
      // in its ring and the restarted counter got them. None is unaccounted for.
      const processed = await counter.ask({ type: 'get' }) as number;
      expect(processed + lostWith(system, 0)).toBe(1000);
      expect(await other.ask({ type: 'get' })).toBe(1000);
      expect(system.deadLetters.list({ reason: 'worker-died' }).filter((e) => e.target === '/user/faulty')).toHaveLength(1);
      await expect(faulty.ask({ type: 'ping' })).resolves.toBe('pong');
      await expectConserved(system);
    });
  });

  it('by an uncaught exception outside any handler: replaced, and its actors answer again', async () => {
    await withSystem({ name: 'uncaught', workers: 1 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'), { name: 'faulty' });
      const counter = await system.spawn(fixture('counter.actor'), { name: 'counter' });
      const died = nextEvent(system, 'worker-died');
      const replaced = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'throw-uncaught' });
      const e = await died;
      expect(e.error.message).toContain('uncaught in a timer');
      expect(e.actor).toBeUndefined(); // no handler was running
      // Sent while the worker is down: they wait in its ring for the replacement.
      for (let i = 0; i < 500; i++) counter.tell({ type: 'inc' });
      await replaced;
      expect(await counter.ask({ type: 'get' })).toBe(500);
      expect(system.deadLetters.counts()).toEqual({});
      await expect(faulty.ask({ type: 'ping' })).resolves.toBe('pong');
      await expectConserved(system);
    });
  });

  it('by heap exhaustion under its resourceLimits: replaced, with the same limits', async () => {
    await withSystem({ name: 'oom', workers: 1 }, async (system) => {
      const neighbour = await system.spawn(fixture('echo.actor'));
      const hog = await system.spawn(fixture('faulty.actor'), { placement: 'dedicated', resourceLimits: { maxOldGenerationSizeMb: 32 } });
      const died = nextEvent(system, 'worker-died');
      const replaced = nextEvent(system, 'worker-replaced');
      const oom = hog.ask({ type: 'oom' }, { timeoutMs: 30_000 });
      await expect(oom).rejects.toMatchObject({ code: 'ERR_TROUPE_WORKER_FAILED' });
      expect((await died).error.code).toBe('ERR_WORKER_OUT_OF_MEMORY');
      expect((await replaced).restarted).toEqual([hog.path]);
      await expect(hog.ask({ type: 'ping' })).resolves.toBe('pong');
      await expect(neighbour.ask({ type: 'echo', value: 'unaffected' })).resolves.toBe('unaffected');
      expect(system.deadLetters.list({ reason: 'worker-died' })).toMatchObject([{ target: hog.path }]);
      await expectConserved(system);
    });
  });

  it('more often than its actors may restart: they escalate to the root and stay stopped', async () => {
    await withSystem({ name: 'intensity', workers: 1 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'), { name: 'faulty', supervision: { maxRestarts: 1, withinMs: 60_000 } });
      const first = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      expect((await first).restarted).toEqual(['/user/faulty']);
      const escalated = nextEvent(system, 'escalate');
      const second = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      expect(await escalated).toMatchObject({ actor: '/user/faulty', to: '/user' });
      expect((await second).restarted).toEqual([]);
      expect(system.lookup('faulty')).toBeUndefined();
      await expect(faulty.ask({ type: 'ping' })).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_NOT_FOUND' });
      expect(system.health().status).toBe('critical');
      await expectConserved(system);
    });
  });
});

describe('a worker stuck in native code', () => {
  it('escalates within terminateTimeoutMs when terminate() cannot stop it, and is replaced once it exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-fifo-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    try {
      await withSystem({ name: 'stuck', workers: 1, maxHandlerMs: 200, terminateTimeoutMs: 300 }, async (system) => {
        const blocker = await system.spawn(fixture('faulty.actor'), { name: 'blocker' });
        const stuck = nextEvent(system, 'worker-stuck');
        const escalated = nextEvent(system, 'escalate');
        blocker.tell({ type: 'read-fifo', path: fifo });
        await stuck;
        expect(await escalated).toMatchObject({ actor: '/user/blocker' });
        expect(system.health().status).toBe('critical');
        expect(system.lookup('blocker')).toBeUndefined();
        // Unblock the read (opening the FIFO's other end is enough; writing could meet a reader
        // already terminated): the terminate completes, and a fresh host takes the thread's place.
        const replaced = nextEvent(system, 'worker-replaced');
        closeSync(openSync(fifo, 'w'));
        expect((await replaced).restarted).toEqual([]);
        const echo = await system.spawn(fixture('echo.actor'));
        await expect(echo.ask({ type: 'echo', value: 1 })).resolves.toBe(1);
        await expectConserved(system);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Regressions from the review of the first version (each failed then).
describe('worker faults, harder cases', () => {
  it('a restored actor that writes to a sibling not restored yet: the message waits for it', async () => {
    await withSystem({ name: 'siblings', workers: 1 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'));
      const forwarder = await system.spawn(fixture('echo.actor')); // restored before `target`
      const target = await system.spawn(fixture('counter.actor'));
      const died = nextEvent(system, 'worker-died');
      const replaced = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      await died;
      forwarder.tell({ type: 'tell-other', other: target, value: { type: 'inc' } });
      await replaced;
      // The forwarder has handled the tell (its mail is in order); its tell to the target went
      // straight into the target's mailbox, ahead of the ask below.
      await expect(forwarder.ask({ type: 'echo', value: 'barrier' })).resolves.toBe('barrier');
      await expect(target.ask({ type: 'get' })).resolves.toBe(1);
      expect(system.deadLetters.counts()['no-such-actor']).toBeUndefined();
      await expectConserved(system);
    });
  });

  it('a link whose consumer and then producer both die: the replacements do not wait forever for a lost port message', async () => {
    await withSystem({ name: 'both-ends', workers: 2, maxHandlerMs: 300 }, async (system) => {
      const spinner = await system.spawn(fixture('faulty.actor'), { placement: { worker: 0 } });
      const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 0 } });
      const bomb = await system.spawn(fixture('bomb.actor'), { placement: { worker: 1 } });
      await expect(bomb.ask({ type: 'relay', to: counter, msg: { type: 'get' } })).resolves.toBe(0);
      let replacedCount = 0;
      const bothReplaced = new Promise<void>((resolve) => {
        const off = system.events.subscribe((e) => { if (e.type === 'worker-replaced' && ++replacedCount === 2) { off(); resolve(); } });
      });
      const started = new SharedArrayBuffer(4);
      const spin = spinner.ask({ type: 'spin', started }, { timeoutMs: 20_000 }).catch(() => 'rejected');
      await counterAt(started, 1);
      // Worker 0 is blocked: the big message's port part goes into its heap, its marker into the
      // ring; then worker 1 blocks too, before it can tell worker 0's replacement anything.
      bomb.tell({ type: 'big-then-spin', to: counter, delayMs: 200 });
      await bothReplaced;
      expect(await spin).toBe('rejected');
      await expect(bomb.ask({ type: 'relay', to: counter, msg: { type: 'get' } }, { timeoutMs: 5000 })).resolves.toBe(0);
      await expectConserved(system);
    });
  });

  it('a dedicated temporary actor whose worker dies: watchers are told, and mail to it is refused, not left in flight', async () => {
    await withSystem({ name: 'temporary', workers: 1 }, async (system) => {
      const victim = await system.spawn(fixture('faulty.actor'), { placement: 'dedicated', restart: 'temporary' });
      const count = new SharedArrayBuffer(4);
      const watcher = await system.spawn(fixture('watcher.actor'), { args: { count } });
      await watcher.ask({ type: 'watch', ref: victim });
      const replaced = nextEvent(system, 'worker-replaced');
      victim.tell({ type: 'exit', code: 1 });
      expect((await replaced).restarted).toEqual([]);
      victim.tell({ type: 'ping' });
      await expect(victim.ask({ type: 'ping' })).rejects.toMatchObject({ code: 'ERR_TROUPE_ACTOR_NOT_FOUND' });
      await counterAt(count, 1);
      await expectConserved(system);
    });
  });

  it('a worker linked to a stopped dedicated worker can still be replaced', async () => {
    await withSystem({ name: 'stopped-peer', workers: 1 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'), { name: 'faulty' });
      const x = await system.spawn(fixture('echo.actor'), { name: 'x' });
      const d = await system.spawn(fixture('echo.actor'), { placement: 'dedicated' });
      await expect(d.ask({ type: 'ask-other', other: x, value: 1 })).resolves.toBe(1); // rings both ways
      await system.stop(d);
      const replaced = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      expect((await replaced).restarted.sort()).toEqual(['/user/faulty', '/user/x']);
      await expect(x.ask({ type: 'echo', value: 2 })).resolves.toBe(2);
    });
  });
});

describe('shutdown with a stuck worker', () => {
  it('finishes, without waiting for the thread stuck in native code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-fifo-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const system = await createActorSystem({ logger: quiet, name: 'stuck-shutdown', workers: 1, maxHandlerMs: 200, terminateTimeoutMs: 300, controlTimeoutMs: 1000 });
    try {
      const blocker = await system.spawn(fixture('faulty.actor'));
      const stuck = nextEvent(system, 'worker-stuck');
      blocker.tell({ type: 'read-fifo', path: fifo });
      await stuck;
      await system.shutdown({ timeoutMs: 500 });
    } finally {
      closeSync(openSync(fifo, 'w'));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
