// What the bridge counts when a message cannot leave: an at-most-once message counts as
// processed only once the server has it, and a full outbox dead-letters rather than throws.
// Each test runs its own nats-server (free loopback port, temp store, stopped by PID) and its
// own nodes.
import { describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';

const haveNats = natsAvailable();

/** Node a (with `nats` options) and node b with an exposed counter; a's ref to it. */
async function twoNodes(server: NatsServer, nats: Record<string, unknown> = {}): Promise<{ a: ActorSystem; b: ActorSystem; counter: ActorRef }> {
  const a = await createActorSystem({ name: 'c-a', node: 'c-a', workers: 1, logger: quiet, nats: { servers: server.url, retryMs: 50, ...nats } });
  const b = await createActorSystem({ name: 'c-b', node: 'c-b', workers: 1, logger: quiet, nats: { servers: server.url, retryMs: 50 } });
  await b.spawn(fixture('counter.actor'), { name: 'c-counter', expose: true });
  const counter = (await a.resolve('c-counter', { timeoutMs: 10_000 }))!;
  await expect(counter.ask({ type: 'get' })).resolves.toBe(0);
  return { a, b, counter };
}

describe.skipIf(!haveNats)('counting what could not leave', () => {
  it('at-most-once tells written into a connection that dies before the server has read them are dead-lettered node-unreachable, not counted as processed', async () => {
    const server = await NatsServer.start();
    const { a, b, counter } = await twoNodes(server);
    try {
      // Frozen: the tells go into the socket, and the server never reads them.
      server.signal('SIGSTOP');
      for (let i = 0; i < 100; i++) counter.tell({ type: 'inc' }, { delivery: 'at-most-once' });
      await server.kill();
      const back = nextEvent(a, 'nats', (e) => e.connected);
      await server.run();
      await back;
      const left = await until(async () => { await counter.ask({ type: 'get' }); return a.health().nats!.outbox; }, (n) => n === 0, 20_000);
      expect(left).toBe(0);
      expect(a.deadLetters.counts()).toEqual({ 'node-unreachable': 100 });
      await expect(counter.ask({ type: 'get' })).resolves.toBe(0);
      await expectConserved(a);
    } finally {
      await a.shutdown();
      await b.shutdown();
      await server.stop();
    }
  });

  it('a tell past a full outbox is dead-lettered outbox-full instead of throwing; an ask past it rejects with ERR_TROUPE_NODE_UNREACHABLE', async () => {
    const server = await NatsServer.start();
    const { a, b, counter } = await twoNodes(server, { outboxCapacity: 10 });
    try {
      const down = nextEvent(a, 'nats', (e) => !e.connected);
      await server.kill();
      await down;
      for (let i = 0; i < 10; i++) counter.tell({ type: 'inc' });
      expect(() => counter.tell({ type: 'inc' })).not.toThrow();
      expect(a.deadLetters.counts()).toEqual({ 'outbox-full': 1 });
      await expect(counter.ask({ type: 'get' })).rejects.toMatchObject({ code: 'ERR_TROUPE_NODE_UNREACHABLE' });
      expect(a.deadLetters.counts()).toEqual({ 'outbox-full': 2 });
      const back = nextEvent(a, 'nats', (e) => e.connected);
      await server.run();
      await back;
      // The ten that fitted arrive.
      await expect(until(() => counter.ask<number>({ type: 'get' }, { timeoutMs: 20_000 }), (n) => n >= 10, 30_000)).resolves.toBe(10);
      await expectConserved(a);
    } finally {
      await a.shutdown();
      await b.shutdown();
      await server.stop();
    }
  });
});
