// What the bridge counts and reports when a message cannot leave, or a peer goes quiet: an
// at-most-once message counts as processed only once the server has it, a full outbox
// dead-letters rather than throws, and health says when the outbox fills or a node we send to
// stops answering. Each test runs its own nats-server (free loopback port, temp store, stopped
// by PID) and its own nodes.
import { describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { counterAt, expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';
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

describe.skipIf(!haveNats)('flow control through the outbox, NATS connected', () => {
  /** Node a: a mark of 100 and an outbox of 50, far smaller than the bursts below. */
  async function smallOutbox(server: NatsServer): Promise<{ a: ActorSystem; b: ActorSystem }> {
    const a = await createActorSystem({ name: 'o-a', node: 'o-a', workers: 1, logger: quiet, mailbox: { highWaterMark: 100 },
      nats: { servers: server.url, retryMs: 50, outboxCapacity: 50 } });
    const b = await createActorSystem({ name: 'o-b', node: 'o-b', workers: 1, logger: quiet, nats: { servers: server.url, retryMs: 50 } });
    return { a, b };
  }

  it('a burst from main far past the outbox is all delivered, in order, none dead-lettered: tell says false past the mark and ready() waits for the outbox', async () => {
    const server = await NatsServer.start();
    const { a, b } = await smallOutbox(server);
    try {
      await b.spawn(fixture('counter.actor'), { name: 'o-counter', expose: true });
      const counter = (await a.resolve('o-counter', { timeoutMs: 10_000 }))!;
      // Naive: the burst is queued whole (the outbox refuses nothing while connected).
      let falses = 0;
      for (let seq = 0; seq < 3000; seq++) if (!counter.tell({ type: 'inc', from: 'naive', seq })) falses++;
      expect(falses).toBe(3000 - 99);
      await counter.ready();
      expect(a.health().nats!.outbox).toBeLessThan(100);
      // Paced: waits whenever tell says so.
      let waits = 0;
      for (let seq = 0; seq < 3000; seq++) {
        if (!counter.tell({ type: 'inc', from: 'paced', seq })) { waits++; await counter.ready(); }
      }
      expect(waits).toBeGreaterThan(0);
      const report = await until(() => counter.ask<{ n: number; outOfOrder: number }>({ type: 'report' }), (r) => r.n >= 6000, 30_000);
      expect(report).toMatchObject({ n: 6000, outOfOrder: 0 });
      expect(a.deadLetters.counts()).toEqual({});
      await expectConserved(a);
    } finally {
      await a.shutdown();
      await b.shutdown();
      await server.stop();
    }
  });

  it('an actor flooding an actor on another node is slowed by the outbox, not dead-lettered: every item arrives in order', async () => {
    const server = await NatsServer.start();
    const { a, b } = await smallOutbox(server);
    try {
      const sab = new SharedArrayBuffer(8);
      await b.spawn(fixture('flood.actor'), { name: 'o-sink', expose: true, args: { counter: sab, name: 'sink' } });
      const sink = (await a.resolve('o-sink', { timeoutMs: 10_000 }))!;
      const source = await a.spawn(fixture('flood.actor'), { args: { counter: new SharedArrayBuffer(8), name: 'source' } });
      source.tell({ type: 'flood', to: sink, total: 20_000, perTurn: 1000 });
      await counterAt(sab, 20_000);
      expect(Array.from(new Int32Array(sab))).toEqual([20_000, 0]);
      // Muted between turns past the mark: its tells said false.
      await expect(source.ask<number>({ type: 'falses' })).resolves.toBeGreaterThan(0);
      expect(a.deadLetters.counts()).toEqual({});
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
