import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

const N = 1_000_000;

describe('per-pair ordering through a ring small enough to overflow', () => {
  let system: ActorSystem;
  // 4 KiB rings: a burst of 1M messages spills almost entirely into the producer's overflow queue.
  // Parked threads never wake on their own (parkMs: 10 min): a lost wake-up hangs the test instead
  // of hiding behind the backstop timeout (regression: a producer blocked on a full ring could park
  // just after the consumer freed space and, finding it awake, did not ring).
  beforeAll(async () => {
    system = await createActorSystem({ name: 'order', workers: 2, logger: quiet, tuning: { ringBytes: 4096, parkMs: 600_000 } });
  });
  afterAll(async () => { await system.shutdown(); });

  it(`keeps ${N.toLocaleString('en')} messages from main in order, none lost`, async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 0 }, mailbox: { capacity: N } });
    for (let seq = 0; seq < N; seq++) counter.tell({ type: 'inc', from: 'main', seq });
    const report = await counter.ask<{ n: number; outOfOrder: number; last: Record<string, number> }>({ type: 'report' }, { timeoutMs: 60_000 });
    expect(report).toMatchObject({ n: N, outOfOrder: 0, last: { main: N - 1 } });
    expect(system.deadLetters.count).toBe(0);
    await expectConserved(system);
  });

  it(`keeps ${N.toLocaleString('en')} messages from a worker to another worker in order`, async () => {
    const counter = await system.spawn(fixture('counter.actor'), { placement: { worker: 1 }, mailbox: { capacity: N } });
    const sender = await system.spawn(fixture('sender.actor'), { placement: { worker: 0 } });
    await expect(sender.ask({ type: 'send', to: counter, count: N, from: 'w0', chunk: 100_000 }, { timeoutMs: 60_000 })).resolves.toBe(N);
    await expect(counter.ask({ type: 'report' })).resolves.toMatchObject({ n: N, outOfOrder: 0, last: { w0: N - 1 } });
    expect(system.deadLetters.count).toBe(0);
    await expectConserved(system);
  });
});
