import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem, type OverflowPolicy } from 'troupe';
import { deadLetters, expectConserved, fixture, latch, quiet } from '../helpers.js';

const CAPACITY = 5;
const EXTRA = 7;

describe('bounded mailboxes and their overflow policies', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'mbox', workers: 1, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  /** Blocks the actor, fills its mailbox with CAPACITY + EXTRA items, and returns what happened. */
  async function overflow(policy: OverflowPolicy, reason: string) {
    const gate = latch();
    const actor = await system.spawn(fixture('gate.actor'), { args: { latch: gate.sab }, mailbox: { capacity: CAPACITY, overflow: policy } });
    const blocked = actor.ask({ type: 'block' });
    await gate.waiting();
    const asks = Array.from({ length: CAPACITY + EXTRA }, (_, seq) => actor.ask<number>({ type: 'item', seq }, { timeoutMs: 500 })
      .then((v) => ({ ok: v }), (e: { code: string }) => ({ err: e.code })));
    await deadLetters(system, reason, EXTRA);
    gate.open();
    await expect(blocked).resolves.toBe('released');
    const results = await Promise.all(asks);
    const seen = await actor.ask<number[]>({ type: 'seen' });
    await system.stop(actor);
    return { results, seen, dead: system.deadLetters.list({ reason, target: actor.path }) };
  }

  it("'dead-letter' (default) keeps the first CAPACITY and dead-letters the rest as mailbox-full", async () => {
    const { seen, dead } = await overflow('dead-letter', 'mailbox-full');
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(dead.map((d) => (d.message as { seq: number }).seq)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    await expectConserved(system);
  });

  it("'drop-oldest' keeps the newest CAPACITY and dead-letters the oldest as dropped-oldest", async () => {
    const { seen, dead, results } = await overflow('drop-oldest', 'dropped-oldest');
    expect(seen).toEqual([7, 8, 9, 10, 11]);
    expect(dead.map((d) => (d.message as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results.slice(0, EXTRA)).toEqual(Array(EXTRA).fill({ err: 'ERR_TROUPE_MAILBOX_FULL' }));
    await expectConserved(system);
  });

  it("'reject' dead-letters the new message and rejects its ask at once with MailboxFullError", async () => {
    const { seen, dead, results } = await overflow('reject', 'mailbox-full');
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(dead.map((d) => (d.message as { seq: number }).seq)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(results.slice(CAPACITY)).toEqual(Array(EXTRA).fill({ err: 'ERR_TROUPE_MAILBOX_FULL' }));
    expect(results.slice(0, CAPACITY)).toEqual([0, 1, 2, 3, 4].map((ok) => ({ ok })));
    await expectConserved(system);
  });

  it('rejects a bad mailbox option at spawn', async () => {
    await expect(system.spawn(fixture('counter.actor'), { mailbox: { capacity: 0 } })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    await expect(system.spawn(fixture('counter.actor'), { mailbox: { overflow: 'drop-newest' as never } })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
  });
});
