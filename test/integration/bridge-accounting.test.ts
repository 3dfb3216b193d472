// What the bridge counts and reports when a message cannot leave, or a peer goes quiet: an
// at-most-once message counts as processed only once the server has it, a full outbox
// dead-letters rather than throws, and health says when the outbox fills or a node we send to
// stops answering. Each test runs its own nats-server (free loopback port, temp store, stopped
// by PID) and its own nodes.
import { describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';
import { OtherNode } from '../other-node.js';

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

describe.skipIf(!haveNats)('health with NATS', () => {
  it('says degraded while the outbox is over half full, with NATS connected, and healthy once it drains', async () => {
    const server = await NatsServer.start();
    const { a, b, counter } = await twoNodes(server, { outboxCapacity: 100, publishTimeoutMs: 10_000 });
    try {
      expect(a.health().status).toBe('healthy');
      // Frozen: publishes wait for their acks.
      server.signal('SIGSTOP');
      for (let i = 0; i < 60; i++) counter.tell({ type: 'inc' });
      const h = a.health();
      expect(h).toMatchObject({ status: 'degraded', nats: { connected: true, outbox: 60 } });
      expect(h.reasons.join('; ')).toMatch(/outbox to other nodes is over half full \(60 of 100\)/);
      server.signal('SIGCONT');
      await expect(until(() => counter.ask<number>({ type: 'get' }), (n) => n >= 60, 20_000)).resolves.toBe(60);
      expect(a.health()).toMatchObject({ status: 'healthy', reasons: [] });
      await expectConserved(a);
    } finally {
      server.signal('SIGCONT');
      await a.shutdown();
      await b.shutdown();
      await server.stop();
    }
  });

  it('says degraded when a node sent to within the health window has not been heard from for that long (no message, no answer to a ping), and healthy once it answers again', async () => {
    const server = await NatsServer.start();
    // A health window of 3 s: a peer unheard for 3 s (not 30) is reported.
    const a = await createActorSystem({ name: 'h-a', node: 'h-a', workers: 1, logger: quiet, healthWindowMs: 3000, nats: { servers: server.url, retryMs: 50 } });
    const b = await OtherNode.start(server.url, 'h-b', { fixture: 'bare-node' });
    try {
      await b.call({ cmd: 'spawn', module: 'counter.actor', name: 'h-counter', expose: true });
      const counter = (await a.resolve('h-counter', { timeoutMs: 10_000 }))!;
      await expect(counter.ask({ type: 'get' })).resolves.toBe(0);
      expect(a.health().status).toBe('healthy');
      // Frozen: node b takes no message and answers no ping.
      b.proc.kill('SIGSTOP');
      counter.tell({ type: 'inc' });
      // This ask waits out more than the 3 s; node a pings node b meanwhile, unanswered.
      await expect(counter.ask({ type: 'get' }, { timeoutMs: 4000 })).rejects.toMatchObject({ code: 'ERR_TROUPE_ASK_TIMEOUT' });
      counter.tell({ type: 'inc' }); // sent to within the window
      const h = a.health();
      expect(h.status).toBe('degraded');
      expect(h.reasons.join('; ')).toMatch(/node h-b not heard from for \d+ s/);
      b.proc.kill('SIGCONT');
      await expect(until(() => counter.ask<number>({ type: 'get' }), (n) => n >= 2, 20_000)).resolves.toBe(2);
      expect(a.health()).toMatchObject({ status: 'healthy', reasons: [] });
      // The reply to the ask that timed out came late: dead-lettered, and counted.
      await expectConserved(a);
    } finally {
      b.proc.kill('SIGCONT');
      await b.stop();
      await a.shutdown();
      await server.stop();
    }
  });
});
