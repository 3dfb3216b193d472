// The JetStream bridge under faults (issue 4): the server killed (-9) or frozen (SIGSTOP) while
// remote tells are in flight, and NATS down at start and during operation. Each test runs its
// own nats-server (free loopback port, temp store, stopped by PID) and its own nodes.
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';
import { OtherNode } from '../other-node.js';

const haveNats = natsAvailable();

interface Report { n: number; sum: number }


/** No message of node b's stream is waiting or unacked, and node a's outbox is empty. */
async function settled(server: NatsServer, a: ActorSystem): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const left = await until(async () => {
      const info = await jsm.consumers.info('troupe_NODE_node-b', 'troupe_bridge');
      return info.num_pending + info.num_ack_pending + (a.health().nats?.outbox ?? 0);
    }, (n) => n === 0, 30_000);
    expect(left).toBe(0);
  } finally {
    await nc.close();
  }
}

async function twoNodes(server: NatsServer): Promise<{ a: ActorSystem; b: OtherNode; counter: ActorRef }> {
  const a = await createActorSystem({
    name: 'node-a', node: 'node-a', workers: 1, logger: quiet, nats: { servers: server.url, retryMs: 50, publishTimeoutMs: 500 },
  });
  const b = await OtherNode.start(server.url, 'node-b');
  const counter = (await a.resolve('counter-b', { timeoutMs: 10_000 }))!;
  return { a, b, counter };
}

describe.skipIf(!haveNats)('the bridge when NATS fails', () => {
  it('kill -9 of the server during 10 000 remote tells, restarted on the same port and store: each processed exactly once', async () => {
    const server = await NatsServer.start();
    const { a, b, counter } = await twoNodes(server);
    try {
      for (let seq = 0; seq < 10_000; seq++) counter.tell({ type: 'inc', from: 'a', seq });
      // Kill it once some of them are stored and handled, with the rest on their way.
      await until(() => counter.ask<Report>({ type: 'report' }), (r) => r.n >= 1000, 30_000);
      await server.kill();
      await server.run();
      const r = await until(() => counter.ask<Report>({ type: 'report' }, { timeoutMs: 20_000 }), (v) => v.n >= 10_000, 60_000);
      expect(r.n).toBe(10_000);
      // Nothing left anywhere that could still arrive: the count stays exact.
      await settled(server, a);
      await expect(counter.ask({ type: 'report' })).resolves.toMatchObject({ n: 10_000, sum: 10_000 });
      await expectConserved(a);
    } finally {
      await b.stop();
      await a.shutdown();
      await server.stop();
    }
  });

  it('SIGSTOP of the server for longer than the publish timeout, then SIGCONT: no duplicate processing', async () => {
    const server = await NatsServer.start();
    const { a, b, counter } = await twoNodes(server);
    try {
      await expect(counter.ask({ type: 'report' })).resolves.toMatchObject({ n: 0 });
      server.signal('SIGSTOP');
      for (let seq = 0; seq < 300; seq++) counter.tell({ type: 'inc', from: 'a', seq });
      // The fault lasts 2.5 publish timeouts: publishes time out (ambiguously) and are retried.
      await new Promise((r) => setTimeout(r, 1250));
      server.signal('SIGCONT');
      const r = await until(() => counter.ask<Report>({ type: 'report' }, { timeoutMs: 20_000 }), (v) => v.n >= 300, 30_000);
      expect(r.n).toBe(300);
      await settled(server, a);
      await expect(counter.ask({ type: 'report' })).resolves.toMatchObject({ n: 300, sum: 300 });
      await expectConserved(a);
    } finally {
      server.signal('SIGCONT');
      await b.stop();
      await a.shutdown();
      await server.stop();
    }
  });

  it('NATS down at start and during operation: health degraded, then back; nothing lost', async () => {
    const server = await NatsServer.create(); // not running yet
    const nats = { servers: server.url, retryMs: 50, publishTimeoutMs: 500, connectTimeoutMs: 200 };
    const c = await createActorSystem({ name: 'node-c', node: 'node-c', workers: 1, logger: quiet, nats });
    const d = await createActorSystem({ name: 'node-d', node: 'node-d', workers: 1, logger: quiet, nats });
    try {
      expect(c.health()).toMatchObject({ status: 'degraded', nats: { connected: false } });
      await d.spawn(fixture('counter.actor'), { name: 'counter-d', expose: true });
      // An error event while NATS is down goes to the log and is kept here.
      const up = Promise.all([nextEvent(c, 'nats', (e) => e.connected), nextEvent(d, 'nats', (e) => e.connected)]);
      await server.run();
      await up;
      expect(c.health().status).toBe('healthy');
      const counter = (await c.resolve('counter-d', { timeoutMs: 10_000 }))!;
      for (let i = 0; i < 100; i++) counter.tell({ type: 'inc' });
      await expect(counter.ask({ type: 'get' })).resolves.toBe(100);

      const down = nextEvent(c, 'nats', (e) => !e.connected);
      await server.kill();
      await down;
      for (let i = 0; i < 500; i++) counter.tell({ type: 'inc' });
      expect(c.health()).toMatchObject({ status: 'degraded', nats: { connected: false, outbox: 500 } });
      const back = nextEvent(c, 'nats', (e) => e.connected);
      await server.run();
      await back;
      await expect(until(() => counter.ask<number>({ type: 'get' }, { timeoutMs: 20_000 }), (n) => n >= 600, 30_000)).resolves.toBe(600);
      expect(c.health().status).toBe('healthy');
      await expectConserved(c);
      await expectConserved(d);
    } finally {
      await c.shutdown();
      await d.shutdown();
      await server.stop();
    }
  });

  it('the target node killed while 50 messages fail: 50 DLQ records appear anyway (the advisory backstop)', async () => {
    const server = await NatsServer.start();
    const { a, b } = await twoNodes(server);
    let b2: OtherNode | null = null;
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const doomed = (await a.resolve('doomed-b'))!;
      const records = nc.subscribe('troupe.dlq.max-deliveries.node-b', { max: 50 });
      for (let i = 0; i < 50; i++) doomed.tell({ type: 'doomed', id: `m${i}` });
      // Each fails 4 times; its 5th (last) delivery is never finished. Once all 250 deliveries
      // are made, kill node b: it dead-letters none of them.
      const delivered = await until(async () => (await jsm.consumers.info('troupe_NODE_node-b', 'troupe_bridge')).delivered.consumer_seq,
        (seq) => seq >= 250, 30_000);
      expect(delivered).toBe(250);
      b.proc.kill('SIGKILL');
      await b.exited;
      // JetStream says a message used up its deliveries when its consumer next pulls: node b
      // comes back (as a supervisor would restart it). It never sees those 50 again, and has no
      // memory of them; the advisories, kept in their stream, are what turns them into records.
      b2 = await OtherNode.start(server.url, 'node-b');
      const targets = new Set<string>();
      for await (const m of records) {
        expect(m.headers!.get('Troupe-Deliveries')).toBe('5');
        targets.add(m.headers!.get('Troupe-Target'));
      }
      expect(targets.size).toBe(1); // all to doomed-b's address
      const stored = await a.deadLetters.stored({ reason: 'max-deliveries', limit: 1000 });
      expect(stored).toHaveLength(50);
      expect(new Set(stored.map((d) => (d.message as { id: string }).id)).size).toBe(50);
    } finally {
      await nc.close();
      await b.stop();
      await b2?.stop();
      await a.shutdown();
      await server.stop();
    }
  });
});
