import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';

describe('an idle worker', () => {
  let system: ActorSystem;
  beforeAll(async () => { system = await createActorSystem({ name: 'idle', workers: 1, logger: quiet }); });
  afterAll(async () => { await system.shutdown(); });

  // Regression: a worker polled for all of spinMs (1 ms) after every message, so messages a
  // millisecond or so apart (remote requests, say) kept it polling all the time: a core per
  // worker, taken from whatever produced the messages. Now it parks soon after work once its
  // work has lately come further apart than a park costs.
  it('parks between messages that come milliseconds apart instead of polling through the gaps', async () => {
    const actor = await system.spawn(fixture('idle.actor'), { placement: { worker: 0 } });
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) {
        actor.tell({ type: 'tick' });
        await new Promise((r) => setTimeout(r, 1)); // the workload: one message per ~1 ms
      }
    };
    await ticks(20);
    await actor.ask({ type: 'start' });
    await ticks(200);
    const { ticks: seen, utilization } = await actor.ask<{ ticks: number; utilization: number }>({ type: 'report' });
    expect(seen).toBe(200);
    // Polling through every gap reads about 0.7 or more here; parking, well under 0.3.
    expect(utilization).toBeLessThan(0.4);
    await expectConserved(system);
  });
});

describe('parked threads', () => {
  // Every thread parks as soon as it is idle (spinMs 0) and no backstop timer wakes it (parkMs at
  // its largest): each message has to wake its thread through the doorbell, and a wake-up lost
  // anywhere (main's pump, a worker's, the doorbell's protocol) leaves an ask waiting until its
  // timeout, which fails the test.
  it('are woken by every message: 2,000 asks main -> worker 0 -> worker 1 and back, none waiting on a timer', async () => {
    const system = await createActorSystem({ name: 'parked', workers: 2, logger: quiet, tuning: { spinMs: 0, parkMs: 2 ** 31 - 1 } });
    try {
      const a = await system.spawn(fixture('echo.actor'), { placement: { worker: 0 } });
      const b = await system.spawn(fixture('echo.actor'), { placement: { worker: 1 } });
      for (let i = 0; i < 2000; i++) {
        await expect(a.ask({ type: 'ask-other', other: b, value: i }, { timeoutMs: 5000 })).resolves.toBe(i);
      }
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });
});
