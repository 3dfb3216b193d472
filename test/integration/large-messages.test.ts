// Messages of `largeBytes` (64 KB) and more cross threads over a link's port, ordered among ring
// records by a marker. Several of them in flight on one link at once used to wedge the link for
// good (the encoder's shared buffer was transferred with the first one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

const big = (tag: string, n = 100_000) => tag + 'x'.repeat(n);

describe('large messages', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'large', workers: 2, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  it('a 100 KB message from each of four actors on one worker all arrive, and the link keeps working', async () => {
    const target = await system.spawn(fixture('recorder.actor'), { placement: { worker: 0 } });
    const senders: ActorRef[] = [];
    for (let i = 0; i < 4; i++) senders.push(await system.spawn(fixture('recorder.actor'), { placement: { worker: 1 } }));
    // The same synchronous burst from main: each sender sends at its first turn, before the first arrives.
    senders.forEach((s, i) => s.tell({ type: 'send', to: target, msg: big(`m${i}`) }));
    // Small mail from an unrelated actor on the same link, behind the large ones.
    const other = await system.spawn(fixture('recorder.actor'), { placement: { worker: 1 } });
    const small = await system.spawn(fixture('recorder.actor'), { placement: { worker: 0 } });
    other.tell({ type: 'send', to: small, msg: 'small' });
    // An ask from worker 1 to worker 0 follows all of them on the same ring.
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
    await expect(echo.ask({ type: 'ask-raw', other: target, value: { type: 'got' } }))
      .resolves.toEqual(expect.arrayContaining([0, 1, 2, 3].map((i) => big(`m${i}`))));
    await expect(small.ask({ type: 'got' })).resolves.toEqual(['small']);
    await expectConserved(system);
  });

  it('replies of 100 KB to concurrent asks from main all come back, each to its own ask', async () => {
    const echo = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
    const values = Array.from({ length: 6 }, (_, i) => big(`r${i}`));
    await expect(Promise.all(values.map((v) => echo.ask({ type: 'echo', value: v }, { timeoutMs: 5000 })))).resolves.toEqual(values);
    // And a small one after them, on the same links.
    await expect(echo.ask({ type: 'echo', value: 'after' })).resolves.toBe('after');
    await expectConserved(system);
  });

  it('a burst of large and small messages from main keeps its order', async () => {
    const target = await system.spawn(fixture('recorder.actor'), { placement: { worker: 1 } });
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      const m = i % 3 === 0 ? big(`b${i}`, 70_000) : `s${i}`;
      sent.push(m);
      target.tell(m);
    }
    await expect(target.ask({ type: 'got' })).resolves.toEqual(sent);
    await expectConserved(system);
  });
});
