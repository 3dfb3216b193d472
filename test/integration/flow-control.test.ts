// Flow control: with default options no burst is dropped; a sender past the high-water mark is
// slowed (tell returns false, ready() waits, an actor is not scheduled), never its mail dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { counterAt, expectConserved, fixture, latch, quiet } from '../helpers.js';

function counter(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

/** Waits until slot `i` of `sab` (an Int32Array) is set (an actor sets it with Atomics.notify). */
async function slotSet(sab: SharedArrayBuffer, i: number): Promise<void> {
  const a = new Int32Array(sab);
  while (Atomics.load(a, i) === 0) {
    const r = Atomics.waitAsync(a, i, 0, 1000);
    if (r.async) await r.value;
  }
}

/** Samples `stats().queued` and the process's RSS while `work` runs; returns their peaks. */
async function peaks(system: ActorSystem, work: Promise<void>): Promise<{ queued: number; rssGrowth: number }> {
  const rss0 = process.memoryUsage().rss;
  let queued = 0;
  let rss = rss0;
  let done = false;
  void work.finally(() => { done = true; });
  const sample = setInterval(() => {
    void system.stats().then((s) => { queued = Math.max(queued, s.queued); });
    rss = Math.max(rss, process.memoryUsage().rss);
  }, 5);
  try {
    await work;
  } finally {
    clearInterval(sample);
  }
  expect(done).toBe(true);
  return { queued, rssGrowth: rss - rss0 };
}

describe('flow control, default options', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'flow', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  it('a burst of 200,000 tells relayed between two workers is all processed, none dead-lettered', async () => {
    const c = counter();
    const far = await system.spawn(fixture('bounce.actor'), { placement: { worker: 1 } });
    const relay = await system.spawn(fixture('bounce.actor'), { placement: { worker: 0 }, args: { counter: c, peer: far } });
    for (let i = 0; i < 200_000; i++) relay.tell({ type: 'go' });
    await counterAt(c, 200_000);
    expect(system.deadLetters.counts()).toEqual({});
    await system.stop(relay);
    await system.stop(far);
    await expectConserved(system);
  });

  it('1,000,000 tells from main to a slower actor on another worker: all processed, in order, none dead-lettered', async () => {
    const c = counter();
    const slow = await system.spawn(fixture('slow.actor'), { placement: { worker: 1 }, args: { counter: c, work: 50 } });
    let falses = 0;
    for (let seq = 0; seq < 1_000_000; seq++) if (!slow.tell({ type: 'item', from: 'main', seq })) falses++;
    await counterAt(c, 1_000_000);
    const a = new Int32Array(c);
    expect(a[1]).toBe(0); // none out of order
    expect(falses).toBeGreaterThan(0); // main was told it ran ahead
    expect(system.deadLetters.counts()).toEqual({});
    await system.stop(slow);
    await expectConserved(system);
  });

  it('an actor sending 2,000,000 tells, 1,000 per turn, to a slower actor on another worker is held back: all processed, memory bounded', async () => {
    const c = counter();
    const slow = await system.spawn(fixture('slow.actor'), { placement: { worker: 1 }, args: { counter: c, work: 50 } });
    const producer = await system.spawn(fixture('flood.actor'), { placement: { worker: 0 }, args: { counter: counter(), name: 'p' } });
    producer.tell({ type: 'flood', to: slow, total: 2_000_000, perTurn: 1000 });
    const p = await peaks(system, counterAt(c, 2_000_000));
    expect(new Int32Array(c)[1]).toBe(0);
    // Held back at the mark (1,000) plus one turn's sends (1,000) and the rings' contents: far
    // from the 2,000,000 an unslowed producer queues.
    expect(p.queued).toBeLessThan(20_000);
    expect(p.rssGrowth).toBeLessThan(256 * 1024 * 1024);
    expect(await producer.ask<number>({ type: 'falses' })).toBeGreaterThan(0);
    expect(system.deadLetters.counts()).toEqual({});
    await system.stop(producer);
    await system.stop(slow);
    await expectConserved(system);
  });

  it('two actors on different workers flooding each other with 1,000,000 each both finish', async () => {
    const ca = counter();
    const cb = counter();
    const a = await system.spawn(fixture('flood.actor'), { placement: { worker: 0 }, args: { counter: ca, name: 'a' } });
    const b = await system.spawn(fixture('flood.actor'), { placement: { worker: 1 }, args: { counter: cb, name: 'b' } });
    a.tell({ type: 'flood', to: b, total: 1_000_000, perTurn: 1000 });
    b.tell({ type: 'flood', to: a, total: 1_000_000, perTurn: 1000 });
    await Promise.all([counterAt(ca, 1_000_000), counterAt(cb, 1_000_000)]);
    expect([new Int32Array(ca)[1], new Int32Array(cb)[1]]).toEqual([0, 0]);
    expect(system.deadLetters.counts()).toEqual({});
    await system.stop(a);
    await system.stop(b);
    await expectConserved(system);
  });

  it('actors on one worker flooding each other, and themselves, finish', async () => {
    const ca = counter();
    const cb = counter();
    const a = await system.spawn(fixture('flood.actor'), { placement: { worker: 0 }, args: { counter: ca, name: 'a' } });
    const b = await system.spawn(fixture('flood.actor'), { placement: { worker: 0 }, args: { counter: cb, name: 'b' } });
    a.tell({ type: 'flood', to: b, total: 300_000, perTurn: 1000 });
    b.tell({ type: 'flood', to: a, total: 300_000, perTurn: 1000 });
    await Promise.all([counterAt(ca, 300_000), counterAt(cb, 300_000)]);
    const cs = counter();
    const self = await system.spawn(fixture('flood.actor'), { placement: { worker: 1 }, args: { counter: cs, name: 's' } });
    self.tell({ type: 'flood', to: self, total: 300_000, perTurn: 1000 });
    await counterAt(cs, 300_000);
    expect([new Int32Array(ca)[1], new Int32Array(cb)[1], new Int32Array(cs)[1]]).toEqual([0, 0, 0]);
    expect(system.deadLetters.counts()).toEqual({});
    for (const r of [a, b, self]) await system.stop(r);
    await expectConserved(system);
  });

  it('an ask between workers completes while its asker has 10,000 tells queued toward the same worker', async () => {
    const gate = latch();
    const blocked = await system.spawn(fixture('gate.actor'), { placement: { worker: 1 }, args: { latch: gate.sab } });
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    const asker = await system.spawn(fixture('sender.actor'), { placement: { worker: 0 } });
    const held = blocked.ask({ type: 'block' });
    await gate.waiting();
    const reply = await asker.ask<{ told: number; answer: unknown }>({ type: 'flood-then-ask', flood: blocked, count: 10_000, ask: echo, msg: 'ping' }, { timeoutMs: 10_000 });
    expect(reply).toEqual({ told: 10_000, answer: 'ping' });
    gate.open();
    await held;
    await system.stop(blocked);
    await system.stop(asker);
    await system.stop(echo);
    await expectConserved(system);
  });
});

describe('tell returns false past the high-water mark, and ready() waits', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'mark', workers: 1, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  async function blockedGate(shutdownMs?: number): Promise<{ ref: ActorRef; gate: ReturnType<typeof latch>; held: Promise<unknown> }> {
    const gate = latch();
    const ref = await system.spawn(fixture('gate.actor'), { args: { latch: gate.sab }, ...(shutdownMs ? { shutdownMs } : {}) });
    const held = ref.ask({ type: 'block' }).catch((e) => e);
    await gate.waiting();
    return { ref, gate, held };
  }

  it('the default mark is 1,000: the 1,000th unprocessed tell returns false; ready() resolves once the receiver catches up', async () => {
    const { ref, gate, held } = await blockedGate();
    // The blocked ask is one of the 1,000.
    const results = Array.from({ length: 1000 }, (_, seq) => ref.tell({ type: 'item', seq }));
    expect(results.slice(0, 998).every(Boolean)).toBe(true);
    expect(results.slice(998)).toEqual([false, false]);
    let readied = false;
    const ready = ref.ready().then(() => { readied = true; });
    await Promise.resolve();
    expect(readied).toBe(false);
    gate.open();
    await ready;
    await held;
    const seen = await ref.ask<number[]>({ type: 'seen' });
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await expect(ref.ready()).resolves.toBeUndefined();
    await system.stop(ref);
    await expectConserved(system);
  });

  it('ready() resolves when the receiver stops (its mail dead-lettered)', async () => {
    const { ref, gate, held } = await blockedGate(50);
    let n = 0;
    while (ref.tell({ type: 'item', seq: n })) n++;
    const ready = ref.ready();
    await system.stop(ref);
    await ready;
    gate.open();
    await held;
    expect(system.deadLetters.counts()['actor-stopped']).toBeGreaterThanOrEqual(n);
    await expectConserved(system);
  });

  it('ready() rejects with ERR_TROUPE_SYSTEM_STOPPED when the system shuts down first', async () => {
    const own = await createActorSystem({ name: 'mark-stop', workers: 1, logger: quiet, mailbox: { highWaterMark: 10 } });
    const gate = latch();
    const ref = await own.spawn(fixture('gate.actor'), { args: { latch: gate.sab }, shutdownMs: 50 });
    const held = ref.ask({ type: 'block' }).catch((e) => e);
    await gate.waiting();
    while (ref.tell({ type: 'item', seq: 0 })) { /* to the mark */ }
    const ready = ref.ready();
    const stopping = own.shutdown({ timeoutMs: 100 });
    await expect(ready).rejects.toMatchObject({ code: 'ERR_TROUPE_SYSTEM_STOPPED' });
    gate.open();
    await stopping;
    await held;
  });

  it('ready() rejects with ERR_TROUPE_ACTOR_STOPPED when the actor waiting in it stops', async () => {
    const own = await createActorSystem({ name: 'mark-waiter-stop', workers: 1, logger: quiet, mailbox: { highWaterMark: 10 } });
    try {
      const gate = latch();
      const target = await own.spawn(fixture('gate.actor'), { args: { latch: gate.sab } });
      const held = target.ask({ type: 'block' });
      await gate.waiting();
      const report = new SharedArrayBuffer(8);
      const waiter = await own.spawn(fixture('ready-waiter.actor'), { args: { report }, shutdownMs: 50 });
      waiter.tell({ type: 'wait', to: target });
      await slotSet(report, 1);
      // Its handler waits in ready(): the stop gives up on it after shutdownMs, and its paths go.
      await own.stop(waiter);
      await slotSet(report, 0);
      expect(Atomics.load(new Int32Array(report), 0)).toBe(2);
      gate.open();
      await held;
      await expectConserved(own);
    } finally {
      await own.shutdown();
    }
  });

  it('a small mark: tell is false from the mark on, for this sender and target only', async () => {
    const own = await createActorSystem({ name: 'mark-small', workers: 1, logger: quiet, mailbox: { highWaterMark: 10 } });
    try {
      const gate = latch();
      const ref = await own.spawn(fixture('gate.actor'), { args: { latch: gate.sab } });
      const other = await own.spawn(fixture('counter.actor'));
      const held = ref.ask({ type: 'block' });
      await gate.waiting();
      // The credit for the ask it took is in, once a later reply from its worker is.
      await other.ask({ type: 'get' });
      const told = Array.from({ length: 12 }, (_, seq) => ref.tell({ type: 'item', seq }));
      expect(told).toEqual([...Array(9).fill(true), false, false, false]);
      expect(other.tell({ type: 'inc' })).toBe(true);
      gate.open();
      await held;
      await ref.ready();
      expect(await ref.ask<number[]>({ type: 'seen' })).toHaveLength(12);
      await expectConserved(own);
    } finally {
      await own.shutdown();
    }
  });

  it('rejects a bad mark', async () => {
    for (const highWaterMark of [0, -1, 1.5, '10', null]) {
      await expect(createActorSystem({ workers: 1, logger: quiet, mailbox: { highWaterMark: highWaterMark as never } }))
        .rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      await expect(system.spawn(fixture('counter.actor'), { mailbox: { highWaterMark: highWaterMark as never } }))
        .rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    }
  });

  it("an actor's own mark (spawn option mailbox.highWaterMark) holds for every sender, main and actors, through refs in messages and lookup", async () => {
    const system = await createActorSystem({ name: 'own-mark', workers: 2, logger: quiet });
    try {
      const taken = counter();
      const own = await system.spawn(fixture('slow.actor'), { name: 'own-mark', placement: { worker: 1 }, mailbox: { highWaterMark: 10 }, args: { counter: taken } });
      const plainTaken = counter();
      const plain = await system.spawn(fixture('slow.actor'), { placement: { worker: 1 }, args: { counter: plainTaken } });
      // From main, in one synchronous run (no credit can come back meanwhile).
      expect(Array.from({ length: 12 }, () => own.tell({ type: 'item' }))).toEqual([...Array(9).fill(true), false, false, false]);
      expect(Array.from({ length: 12 }, () => plain.tell({ type: 'item' })).every((t) => t)).toBe(true);
      // Once an ask behind them is answered, every credit is back (it comes before the reply).
      await own.ask({ type: 'get' });
      await own.ready();
      // By name: a ref with the same mark.
      const named = system.lookup('own-mark')!;
      expect(Array.from({ length: 12 }, () => named.tell({ type: 'item' }))).toEqual([...Array(9).fill(true), false, false, false]);
      await named.ask({ type: 'get' });
      // From an actor on another worker, the ref having travelled in its args (and lookup's too).
      const byArgs = await system.spawn(fixture('init-flood.actor'), { placement: { worker: 0 }, args: { to: own, n: 0 } });
      expect(await byArgs.ask<boolean[]>({ type: 'more', n: 12 })).toEqual([...Array(9).fill(true), false, false, false]);
      const toPlain = await system.spawn(fixture('init-flood.actor'), { placement: { worker: 0 }, args: { to: plain, n: 0 } });
      expect((await toPlain.ask<boolean[]>({ type: 'more', n: 12 })).every((t) => t)).toBe(true);
      await counterAt(taken, 36);
      await counterAt(plainTaken, 24);
      expect(Array.from(new Int32Array(taken))).toEqual([36, 0]);
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});

describe('flow control across awaits, inits and closed workers (mark 10: every message asks for credit)', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'flow-edges', workers: 2, logger: quiet, mailbox: { highWaterMark: 10 } }); });
  afterAll(async () => { await system.shutdown(); });

  it('credit that comes back while the sender\'s async init still runs is kept', async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 } });
    const a = await system.spawn(fixture('init-flood.actor'), { placement: { worker: 0 }, args: { to: counter, n: 10 } });
    expect(await a.ask({ type: 'more', n: 5 })).toEqual([true, true, true, true, true]);
    expect(await counter.ask({ type: 'get' })).toBe(15);
    await system.stop(a);
    await system.stop(counter);
    await expectConserved(system);
  });

  it('a sender past the mark still answers an ask from the actor it waits for (no deadlock)', async () => {
    const a = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    const b = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    // a is busy for a moment; behind that, it floods b past the mark while b waits for a's answer.
    const busy = a.ask({ type: 'sleep', ms: 100 });
    a.tell({ type: 'spray', other: b, n: 50 });
    expect(await b.ask({ type: 'ask-other', other: a, value: 'cfg' }, { timeoutMs: 4000 })).toBe('cfg');
    await busy;
    // a may have read b's ask before main's spray (they come on different rings): its sprays may
    // still be on their way to b. An ask from a to b comes after them: once answered, b has them all.
    expect(await a.ask({ type: 'ask-other', other: b, value: 'after' }, { timeoutMs: 4000 })).toBe('after');
    await system.stop(a);
    await system.stop(b);
    await expectConserved(system);
  });

  it('ctx.ready() holds an async handler back across awaits', async () => {
    const c = counter();
    const slow = await system.spawn(fixture('slow.actor'), { placement: { worker: 1 }, args: { counter: c, work: 200 } });
    const a = await system.spawn(fixture('sender.actor'), { placement: { worker: 0 } });
    const done = a.ask<{ waits: number }>({ type: 'paced', to: slow, count: 3000 }, { timeoutMs: 30_000 });
    const p = await peaks(system, done.then(() => counterAt(c, 3000)));
    expect((await done).waits).toBeGreaterThan(0);
    expect(p.queued).toBeLessThan(100);
    expect(new Int32Array(c)[1]).toBe(0);
    await system.stop(a);
    await system.stop(slow);
    await expectConserved(system);
  });

  it('mail to a closed dedicated worker does not hold its senders back', async () => {
    const gone = await system.spawn(fixture('counter.actor'), { placement: 'dedicated' });
    await system.stop(gone);
    expect(Array.from({ length: 25 }, () => gone.tell({ type: 'inc' })).every(Boolean)).toBe(true);
    // An actor that sends past the mark to it is not muted either: it goes on to its next message.
    const c = counter();
    const witness = await system.spawn(fixture('slow.actor'), { placement: { worker: 1 }, args: { counter: c, work: 0 } });
    const a = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    a.tell({ type: 'spray', other: gone, n: 25 });
    a.tell({ type: 'tell-other', other: witness, value: { type: 'item' } });
    await counterAt(c, 1);
    await system.stop(a);
    await system.stop(witness);
  });
});

describe('ring space held by queued mail never holds its producer for good', () => {
  // A ring of 4 KiB holds about 100 small records. b waits for a's reply; a's flood to b fills
  // their ring with mail b keeps (crash-safe) behind its await, and a's reply comes behind it.
  for (const busy of [false, true]) {
    it(`a reply behind a ring full of the waiting actor's own mail reaches it (its worker ${busy ? 'kept busy by another actor' : 'idle'})`, async () => {
      const system = await createActorSystem({ name: 'held', workers: 2, logger: quiet, tuning: { ringBytes: 4096 } });
      try {
        const a = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
        const b = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
        const spinning = counter();
        let c: ActorRef | null = null;
        if (busy) {
          // c floods itself on b's worker all along (until it is stopped): that worker never runs out of work.
          c = await system.spawn(fixture('flood.actor'), { placement: { worker: 1 }, args: { counter: spinning, name: 'c' } });
          c.tell({ type: 'flood', to: c, total: 1e9, perTurn: 100 });
          await counterAt(spinning, 1000);
        }
        const sleeping = a.ask({ type: 'sleep', ms: 100 });
        a.tell({ type: 'spray', other: b, n: 2000 });
        expect(await b.ask({ type: 'ask-other', other: a, value: 'cfg' }, { timeoutMs: 10_000 })).toBe('cfg');
        await sleeping;
        expect(system.deadLetters.counts()).toEqual({});
        // (Else the shutdown would wait out its drain timeout for c's endless flood.)
        if (c !== null) await system.stop(c);
      } finally {
        await system.shutdown();
      }
    });
  }
});
