// Crash-safe delivery (issue 13, item 2): a record stays in its ring until its message is
// finished, so a worker's death loses none of the mail queued for it. Each way a worker goes down,
// in the middle of a stream of 2,000 messages from main and 2,000 from an actor on the other
// worker: every queued message reaches the restarted actor, in order; the one whose handler was
// running is dead-lettered with its content and its ask settles within 1 s; the counts balance.
import { describe, expect, it } from 'vitest';
import type { ActorRef, ActorSystem } from 'troupe';
import { expectConserved, fixture, latch, nextEvent, until, withSystem } from '../helpers.js';

const SLOTS = 4; // per sender (stream.actor.ts): handled, last seq, skipped, repeated
const N = 2000;
const CRASH_AT = 1000;

type How = 'exit' | 'throw' | 'oom' | 'spin';

function newTally(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(2 * SLOTS * 4);
  const t = new Int32Array(sab);
  t[1] = -1;
  t[SLOTS + 1] = -1;
  return sab;
}

/** Fills the stream actor's mailbox while it holds, then lets it run into the crash at main's message CRASH_AT. */
async function crashMidStream(system: ActorSystem, how: How): Promise<void> {
  const tally = newTally();
  const placement = how === 'oom'
    ? { placement: 'dedicated' as const, resourceLimits: { maxOldGenerationSizeMb: 32 } }
    : { placement: { worker: 0 } };
  const stream = await system.spawn(fixture('stream.actor'), { name: 'stream', args: { tally }, ...placement });
  const sender = await system.spawn(fixture('sender.actor'), { placement: { worker: 1 } });
  const gate = latch();
  stream.tell({ type: 'hold', latch: gate.sab });
  await gate.waiting();
  for (let seq = 0; seq < CRASH_AT; seq++) stream.tell({ type: 'inc', from: 'main', seq });
  const crashing = { type: 'inc', from: 'main', seq: CRASH_AT, crash: how };
  const crashed = stream.ask(crashing, { timeoutMs: 30_000 }).then(() => null, (err: { code: string }) => ({ err, at: Date.now() }));
  for (let seq = CRASH_AT + 1; seq < N; seq++) stream.tell({ type: 'inc', from: 'main', seq });
  // From the other worker: one handler sends them all (no ask between: `chunk` is never reached).
  expect(await sender.ask({ type: 'send', to: stream, count: N, from: 'w1', chunk: N + 1 })).toBe(N);
  // All of it read into the stream actor's mailbox (where a crash used to take it): the hold, 4,000, the ask.
  const s = await until(() => system.stats(), (s) => s.queued >= 2 * N + 1, 20_000);
  expect(s.queued).toBeGreaterThanOrEqual(2 * N + 1);

  const died = nextEvent(system, 'worker-died');
  const replaced = nextEvent(system, 'worker-replaced');
  gate.open();
  const death = await died;
  const diedAt = Date.now();
  expect(death.reason).toBe(how === 'spin' ? 'timeout' : 'worker-died');
  // (A throw from a timer is in no handler's code: the death is blamed on no actor.)
  expect(death.actor).toBe(how === 'throw' ? undefined : '/user/stream');
  // The message whose handler was running: not run again; its ask settles within 1 s.
  const outcome = await crashed;
  expect(outcome?.err).toMatchObject({ code: how === 'spin' ? 'ERR_TROUPE_HANDLER_TIMEOUT' : 'ERR_TROUPE_WORKER_FAILED' });
  expect(outcome!.at - diedAt).toBeLessThan(1000);
  expect((await replaced).restarted).toContain('/user/stream');

  // Every other message reaches the restarted actor, in order, once.
  const t = await until(() => stream.ask({ type: 'tally' }) as Promise<number[]>, (t) => t[0]! + t[SLOTS]! >= 2 * N - 1, 20_000);
  expect({ main: t.slice(0, SLOTS), w1: t.slice(SLOTS) }).toEqual({
    main: [N - 1, N - 1, 1, 0], // handled, last, skipped (the one that crashed), repeated
    w1: [N, N - 1, 0, 0],
  });
  // Dead-lettered: that one message, with its content; nothing lost in bulk.
  const reason = how === 'spin' ? 'timeout' : 'worker-died';
  expect(system.deadLetters.counts()).toEqual({ [reason]: 1 });
  expect(system.deadLetters.list({ reason })[0]).toMatchObject({ target: '/user/stream', message: crashing });
  await expectConserved(system);
}

describe('a worker that dies in the middle of a stream loses none of its queued mail', () => {
  it('by process.exit(1) in a handler', async () => {
    await withSystem({ name: 'crash-exit', workers: 2 }, (system) => crashMidStream(system, 'exit'));
  });

  it('by an uncaught throw while a handler awaits', async () => {
    await withSystem({ name: 'crash-throw', workers: 2 }, (system) => crashMidStream(system, 'throw'));
  });

  it('by heap exhaustion in a handler', async () => {
    await withSystem({ name: 'crash-oom', workers: 2 }, (system) => crashMidStream(system, 'oom'));
  });

  it('by the watchdog, ending a runaway handler', async () => {
    await withSystem({ name: 'crash-spin', workers: 2, maxHandlerMs: 300 }, (system) => crashMidStream(system, 'spin'));
  });
});

describe('mail queued for a child actor of a worker that dies', () => {
  it('is dead-lettered worker-died, per message, with its content (the child comes back with a new ref)', async () => {
    await withSystem({ name: 'crash-child', workers: 2 }, async (system) => {
      const parent = await system.spawn(fixture('parent.actor'), { name: 'parent', placement: { worker: 0 } });
      const faulty = await system.spawn(fixture('faulty.actor'), { placement: { worker: 0 } });
      const child = await parent.ask({ type: 'spawn-stream', tally: newTally() }) as ActorRef;
      const gate = latch();
      child.tell({ type: 'hold', latch: gate.sab });
      await gate.waiting();
      for (let seq = 0; seq < 100; seq++) child.tell({ type: 'inc', from: 'main', seq });
      await until(() => system.stats(), (s) => s.queued >= 101, 20_000);
      const replaced = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      expect((await replaced).restarted.sort()).toEqual([faulty.path, '/user/parent'].sort());
      await expect(parent.ask({ type: 'count' })).resolves.toBe(0); // a new incarnation, no children yet
      const all = system.deadLetters.list({ reason: 'worker-died' });
      // The exit (its handler was running), with its content; the child's hold (suspended; it
      // held a SharedArrayBuffer, so it came over the link's port and its content died with the
      // heap); and the 100 queued behind it, each with its content, under the child it was for
      // (worker 0 is thread 1).
      expect(all.map((e) => e.message)).toEqual([
        '[lost with the worker: it came over a port]',
        { type: 'exit', code: 1 },
        ...Array.from({ length: 100 }, (_, seq) => ({ type: 'inc', from: 'main', seq })),
      ]);
      expect(all[1]!.target).toBe(faulty.path);
      const forChild = all.filter((e) => e !== all[1]);
      expect(new Set(forChild.map((e) => e.target)).size).toBe(1);
      expect(forChild[0]!.target).toMatch(/^@1\.\d+$/);
      await expectConserved(system);
    });
  });
});

describe('mail between actors of a worker that dies', () => {
  it('dies with its heap, and is dead-lettered worker-died per target actor with its count', async () => {
    await withSystem({ name: 'crash-local', workers: 2 }, async (system) => {
      const stream = await system.spawn(fixture('stream.actor'), { name: 'stream', args: { tally: newTally() }, placement: { worker: 0 } });
      const sender = await system.spawn(fixture('sender.actor'), { placement: { worker: 0 } });
      const faulty = await system.spawn(fixture('faulty.actor'), { placement: { worker: 0 } });
      const gate = latch();
      stream.tell({ type: 'hold', latch: gate.sab });
      await gate.waiting();
      // On the same worker: these never touch a ring.
      expect(await sender.ask({ type: 'send', to: stream, count: 500, from: 'w1', chunk: 501 })).toBe(500);
      const replaced = nextEvent(system, 'worker-replaced');
      faulty.tell({ type: 'exit', code: 1 });
      await replaced;
      expect(system.deadLetters.list({ reason: 'worker-died' }).filter((e) => e.target === '/user/stream').map((e) => e.message))
        .toEqual(['[lost with the worker: it came over a port]', { lost: 500 }]);
      expect(system.deadLetters.list({ reason: 'worker-died' }).find((e) => e.target === 'worker 0')).toBeUndefined();
      await expectConserved(system);
    });
  });
});

describe('an ask answered by a handler that then takes its worker down', () => {
  it('settles within 1 s: its reply was never published, so main rejects it (regression: it waited out its timeout)', async () => {
    await withSystem({ name: 'crash-reply', workers: 2 }, async (system) => {
      const faulty = await system.spawn(fixture('faulty.actor'), { name: 'faulty', placement: { worker: 0 } });
      const replaced = nextEvent(system, 'worker-replaced');
      const t0 = Date.now();
      await expect(faulty.ask({ type: 'reply-then-exit' }, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'ERR_TROUPE_WORKER_FAILED' });
      expect(Date.now() - t0).toBeLessThan(1000);
      await replaced;
      // The message (its handler did not finish), and the reply it made, never published: lost.
      expect(system.deadLetters.list({ reason: 'worker-died' }).map((e) => [e.target, e.message])).toEqual([
        ['/user/faulty', { type: 'reply-then-exit' }],
        ['worker 0', { lost: 1 }],
      ]);
      await expectConserved(system);
    });
  });
});
