// health() sees real trouble: a flood of dead letters, a wedged link, no worker alive, and a
// system that was shut down. (The pool and NATS rules have tests of their own.)
import { describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem, type SystemHealth } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';

const K_TELL = 1;
const F_POSTED = 0x100;

/** health(), after letting the event loop run (so the system's own work goes on meanwhile). */
const healthSoon = (system: ActorSystem) => new Promise<SystemHealth>((r) => setImmediate(() => r(system.health())));

describe('health()', () => {
  it('is degraded while more than 1 % of the messages handled within the window were dead-lettered, then healthy again', async () => {
    const system = await createActorSystem({ name: 'dead-flood', workers: 1, logger: quiet, healthWindowMs: 500 });
    try {
      const gone = await system.spawn(fixture('counter.actor'));
      await system.stop(gone);
      for (let i = 0; i < 150; i++) gone.tell({ type: 'inc' });
      const h = await until(() => healthSoon(system), (x) => x.status === 'degraded', 5000);
      expect(h.status).toBe('degraded');
      expect(h.reasons.join(' ')).toMatch(/\d+ of \d+ message\(s\) handled within the health window were dead-lettered \(over 1 %\)/);
      // Out of the window: healthy again.
      await expect(until(() => healthSoon(system), (x) => x.status === 'healthy', 5000)).resolves.toMatchObject({ status: 'healthy' });
      await expectConserved(system);
    } finally {
      await system.shutdown();
    }
  });

  it('a few dead letters among many messages handled are not a reason', async () => {
    const system = await createActorSystem({ name: 'dead-few', workers: 1, logger: quiet });
    try {
      const counter = await system.spawn(fixture('counter.actor'));
      // In bursts the mailbox (10 000 by default) holds, each waited for: none is dead-lettered.
      for (let burst = 0; burst < 4; burst++) {
        for (let i = 0; i < 5_000; i++) counter.tell({ type: 'inc' });
        await counter.ask({ type: 'get' });
      }
      const gone = await system.spawn(fixture('counter.actor'));
      await system.stop(gone);
      for (let i = 0; i < 150; i++) gone.tell({ type: 'inc' });
      await counter.ask({ type: 'get' });
      const h = await healthSoon(system);
      expect(h.status, h.reasons.join('; ')).toBe('healthy');
    } finally {
      await system.shutdown();
    }
  });

  it('is critical when records wait on a link with none taken for maxHandlerMs, and shutdown dead-letters them', async () => {
    const system = await createActorSystem({ name: 'wedged', workers: 1, logger: quiet, maxHandlerMs: 300 });
    const counter = await system.spawn(fixture('counter.actor'));
    expect((await healthSoon(system)).status).toBe('healthy');
    // A marker for a port message that never comes (what a lost port message looked like):
    // the host waits for it, and every record behind it waits too.
    type Outlinks = { link(to: number): unknown; write(link: unknown, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, len: number): void };
    const internals = (system as unknown as { main: { mesh: { outlinks: Outlinks }; mainStats: Float64Array } }).main;
    const seq = new Uint8Array(4);
    new DataView(seq.buffer).setUint32(0, 999_999, true);
    const outlinks = internals.mesh.outlinks;
    outlinks.write(outlinks.link(counter.thread), counter.id, 0, 0, K_TELL | F_POSTED, seq, 4);
    internals.mainStats[0]!++; // counted as sent, as the runtime counts a send
    counter.tell({ type: 'inc' });
    const h = await until(() => healthSoon(system), (x) => x.status === 'critical', 5000);
    expect(h.status).toBe('critical');
    expect(h.reasons.join(' ')).toMatch(/records from main to worker 0 have waited 300 ms or more/);
    expect((await system.stats()).inFlight).toBe(2);
    await system.shutdown({ timeoutMs: 200 });
    expect(system.health().status).toBe('stopped');
    // What never left the ring is dead-lettered, not lost.
    expect(system.deadLetters.counts()['actor-stopped']).toBe(2);
    await expectConserved(system);
  });

  it('is critical when no host worker is alive', async () => {
    const system = await createActorSystem({ name: 'all-dead', workers: 1, logger: quiet });
    try {
      // A worker that dies over and over (5 times within 10 s) is not replaced again.
      for (let i = 0; i < 6; i++) {
        const crash = await system.spawn(fixture('crash.actor'), { restart: 'temporary' });
        const died = nextEvent(system, 'worker-died');
        const replaced = nextEvent(system, 'worker-replaced');
        crash.tell({ type: 'exit' });
        await died;
        if (i < 5) await replaced;
      }
      const h = await healthSoon(system);
      expect(h.status).toBe('critical');
      expect(h.reasons).toContain('no host worker is alive');
      expect(h.workers).toEqual({ total: 1, alive: 0 });
    } finally {
      await system.shutdown();
    }
  });

  it("is 'stopped' after shutdown, whatever else it would say", async () => {
    const system = await createActorSystem({ name: 'stopped', workers: 2, logger: quiet });
    await system.spawn(fixture('counter.actor'));
    await system.shutdown();
    const h = system.health();
    expect(h.status).toBe('stopped');
    expect(h.reasons).toEqual(['the system is stopped']);
  });
});
