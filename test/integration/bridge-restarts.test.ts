// Nodes that restart, and nodes that claim what another has: mail sent to a node's previous run,
// refs held across its restart, a second process with a running node's id, and exposed names
// two nodes want. Each node that restarts is its own process (test/fixtures/bare-node.ts); one
// nats-server for the file (free loopback port, temp store, stopped by PID).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem, type SystemStats } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';
import { OtherNode } from '../other-node.js';

const haveNats = natsAvailable();

interface Report { n: number; outOfOrder: number }

const bare = (url: string, node: string, options?: Record<string, unknown>) => OtherNode.start(url, node, { fixture: 'bare-node', options });

/** The same check as expectConserved, on a node in another process. */
async function expectConservedThere(node: OtherNode): Promise<void> {
  const s = await node.call<SystemStats>({ cmd: 'stats' });
  expect(s.inFlight, `in flight: ${JSON.stringify(s)}`).toBe(0);
  expect(s.sent).toBe(s.processed + s.deadLettered + s.queued + s.returned);
}

describe.skipIf(!haveNats)('node ids, exposed names and restarts', () => {
  let server: NatsServer;
  let a: ActorSystem;
  /** The test's own connection, to look at streams and the name bucket. */
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await NatsServer.start();
    a = await createActorSystem({ name: 'r-a', node: 'r-a', workers: 1, logger: quiet, nats: { servers: server.url, retryMs: 50 } });
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await nc?.close();
    await a?.shutdown();
    await server?.stop();
  });

  /** Node `node`'s consumer: messages not yet handed out, and handed out but not acked. */
  async function consumer(node: string): Promise<{ pending: number; unacked: number }> {
    const info = await (await jetstreamManager(nc)).consumers.info(`troupe_NODE_${node}`, 'troupe_bridge');
    return { pending: info.num_pending, unacked: info.num_ack_pending };
  }

  /** Waits until node a's outbox is empty: each at-least-once message it sent is in its node's stream. */
  async function sent(): Promise<void> {
    await until(async () => { await nc.flush(); return a.health().nats!.outbox; }, (n) => n === 0, 10_000);
  }

  it("tells queued in a node's stream while it was down reach its exposed actor after it restarts", async () => {
    let b = await bare(server.url, 'r-b');
    try {
      await b.call({ cmd: 'spawn', module: 'counter.actor', name: 'r-counter', expose: true });
      const counter = (await a.resolve('r-counter', { timeoutMs: 10_000 }))!;
      await expect(counter.ask({ type: 'get' })).resolves.toBe(0);
      await b.stop();
      for (let seq = 0; seq < 100; seq++) counter.tell({ type: 'inc', from: 'a', seq });
      await sent();
      b = await bare(server.url, 'r-b');
      // Node b has read them all before its counter exists again.
      await expect(until(() => consumer('r-b'), (c) => c.pending === 0, 10_000)).resolves.toMatchObject({ pending: 0 });
      await b.call({ cmd: 'spawn', module: 'counter.actor', name: 'r-counter', expose: true });
      const report = await until(() => counter.ask<Report>({ type: 'report' }), (r) => r.n >= 100, 10_000);
      expect(report).toMatchObject({ n: 100, outOfOrder: 0 });
      await expect(b.call({ cmd: 'dead-letters' })).resolves.toEqual({});
      await expectConserved(a);
      await expectConservedThere(b);
    } finally {
      await b.stop();
    }
  });

  it('mail for a name the restarted node does not expose again is dead-lettered not-exposed once nats.backlogGraceMs has passed', async () => {
    let b = await bare(server.url, 'r-g');
    try {
      await b.call({ cmd: 'spawn', module: 'counter.actor', name: 'r-gone', expose: true });
      const gone = (await a.resolve('r-gone', { timeoutMs: 10_000 }))!;
      await expect(gone.ask({ type: 'get' })).resolves.toBe(0);
      await b.stop();
      for (let i = 0; i < 20; i++) gone.tell({ type: 'inc' });
      const asked = gone.ask({ type: 'get' }, { timeoutMs: 20_000 });
      // Handled from now on, awaited below: it must not be a rejection nobody handles meanwhile.
      const refused = expect(asked).rejects.toMatchObject({ code: 'ERR_TROUPE_NOT_EXPOSED' });
      await sent();
      b = await bare(server.url, 'r-g', { nats: { backlogGraceMs: 5000 } });
      // Held (read, not acked, not dead-lettered) while the grace lasts; then refused, the ask with them.
      await expect(until(() => consumer('r-g'), (c) => c.pending === 0 && c.unacked === 21, 10_000)).resolves.toEqual({ pending: 0, unacked: 21 });
      await expect(b.call({ cmd: 'dead-letters' })).resolves.toEqual({});
      await refused;
      await expect(b.call({ cmd: 'dead-letters' })).resolves.toEqual({ 'not-exposed': 21 });
      await expect(until(() => consumer('r-g'), (c) => c.unacked === 0, 10_000)).resolves.toEqual({ pending: 0, unacked: 0 });
      await expectConserved(a);
      await expectConservedThere(b);
    } finally {
      await b.stop();
    }
  });

  it("an ask through a ref held across its node's restart (kill -9) reaches the actor that now has its name, not the actor now at its old address", async () => {
    let b = await bare(server.url, 'r-c');
    try {
      await b.call({ cmd: 'spawn', module: 'named.actor', name: 'sink', expose: true });
      const sink = (await a.resolve('sink', { timeoutMs: 10_000 }))!;
      await expect(sink.ask('who')).resolves.toBe('/user/sink');
      b.proc.kill('SIGKILL');
      await b.exited;
      // The new run: another actor first (it gets sink's old address), then sink again (its
      // name, left in the registry by the killed run, is taken back).
      b = await bare(server.url, 'r-c');
      await b.call({ cmd: 'spawn', module: 'named.actor', name: 'decoy', expose: true });
      await b.call({ cmd: 'spawn', module: 'named.actor', name: 'sink', expose: true });
      await expect(sink.ask('who')).resolves.toBe('/user/sink');
      await expect(b.call({ cmd: 'ask', name: 'decoy', msg: 'who' })).resolves.toBe('/user/decoy');
      await expectConserved(a);
    } finally {
      await b.stop();
    }
  });

  it("mail through a ref to an unnamed actor of a node's earlier run is dead-lettered stale-ref, and an ask through it rejects with ERR_TROUPE_STALE_REF", async () => {
    let b = await bare(server.url, 'r-d');
    try {
      await b.call({ cmd: 'spawn', module: 'parent.actor', name: 'r-parent', expose: true });
      const parent = (await a.resolve('r-parent', { timeoutMs: 10_000 }))!;
      await expect(parent.ask({ type: 'spawn-many', count: 1 })).resolves.toBe(1);
      const [child] = await parent.ask<ActorRef[]>({ type: 'children' });
      expect(child!.path).toMatch(/^\/user\/r-parent\//);
      await b.stop();
      b = await bare(server.url, 'r-d');
      await b.call({ cmd: 'spawn', module: 'parent.actor', name: 'r-parent', expose: true });
      await b.call({ cmd: 'ask', name: 'r-parent', msg: { type: 'spawn-many', count: 1 } }); // a child at the old child's address
      child!.tell('hello');
      await expect(child!.ask('hello')).rejects.toMatchObject({ code: 'ERR_TROUPE_STALE_REF' });
      await expect(b.call({ cmd: 'dead-letters' })).resolves.toEqual({ 'stale-ref': 2 });
      await expectConserved(a);
      await expectConservedThere(b);
    } finally {
      await b.stop();
    }
  });

  it('a second process with the node id of a running node fails to start with ERR_TROUPE_NODE_ID_TAKEN; after kill -9 of the first, the id starts again', async () => {
    const first = await bare(server.url, 'r-e');
    let again: OtherNode | null = null;
    try {
      await first.call({ cmd: 'spawn', module: 'counter.actor', name: 'e-counter', expose: true });
      await expect(bare(server.url, 'r-e')).rejects.toMatchObject({ code: 'ERR_TROUPE_NODE_ID_TAKEN' });
      // The first node has all of its traffic.
      const counter = (await a.resolve('e-counter', { timeoutMs: 10_000 }))!;
      for (let i = 0; i < 10; i++) counter.tell({ type: 'inc' });
      await expect(counter.ask({ type: 'get' })).resolves.toBe(10);
      first.proc.kill('SIGKILL');
      await first.exited;
      again = await bare(server.url, 'r-e');
      await again.call({ cmd: 'spawn', module: 'counter.actor', name: 'e-counter', expose: true });
      await expect(counter.ask({ type: 'get' })).resolves.toBe(0);
      await expectConserved(a);
      await expectConservedThere(again);
    } finally {
      await first.stop();
      await again?.stop();
    }
  });

  it('exposing a name another running node has fails with ERR_TROUPE_NAME_TAKEN and leaves no actor running; the name stays with the first node when the second stops', async () => {
    await a.spawn(fixture('named.actor'), { name: 'shared', expose: true });
    const c = await createActorSystem({ name: 'r-f', node: 'r-f', workers: 1, logger: quiet, nats: { servers: server.url } });
    try {
      await expect(c.spawn(fixture('named.actor'), { name: 'shared', expose: true })).rejects.toMatchObject({ code: 'ERR_TROUPE_NAME_TAKEN' });
      expect((await c.stats()).actors).toBe(0);
      expect((await c.resolve('shared'))?.node).toBe('r-a');
    } finally {
      await c.shutdown();
    }
    await expectConserved(c);
    const d = await createActorSystem({ name: 'r-h', node: 'r-h', workers: 1, logger: quiet, nats: { servers: server.url } });
    try {
      const shared = await d.resolve('shared', { timeoutMs: 10_000 });
      expect(shared?.node).toBe('r-a');
      await expect(shared!.ask('who')).resolves.toBe('/user/shared');
    } finally {
      await d.shutdown();
    }
  });

  it("expose: 'replace' takes a name over: its first node hears of it (name-lost), and neither refreshes nor deletes it after", async () => {
    const first = await createActorSystem({ name: 'r-i', node: 'r-i', workers: 1, logger: quiet, nats: { servers: server.url } });
    const second = await createActorSystem({ name: 'r-j', node: 'r-j', workers: 1, logger: quiet, nats: { servers: server.url } });
    try {
      await first.spawn(fixture('named.actor'), { name: 'moving', expose: true });
      const lost = nextEvent(first, 'name-lost');
      await second.spawn(fixture('named.actor'), { name: 'moving', expose: 'replace' });
      await expect(lost).resolves.toMatchObject({ name: 'moving', holder: 'r-j' });
      // The first node stops, removing the names it holds: not this one.
      await first.shutdown();
      const kv = await new Kvm(nc).open('troupe_names');
      const entry = await kv.get('moving');
      expect(entry?.operation).toBe('PUT');
      expect(entry!.json<{ node: string }>().node).toBe('r-j');
      await expect(until(async () => { await nc.flush(); return a.lookup('moving')?.node; }, (n) => n === 'r-j', 10_000)).resolves.toBe('r-j');
      await expect(a.lookup('moving')!.ask('who')).resolves.toBe('/user/moving');
      await expectConserved(first);
      await expectConserved(second);
    } finally {
      await first.shutdown();
      await second.shutdown();
    }
  });
});

describe.skipIf(!haveNats)('an actor exposed while NATS is unreachable', () => {
  it('is registered once NATS is reachable; if another node has the name by then, the spawn stays resolved and a name-lost event says so', async () => {
    // alice (the late node) is refused until the server's config changes; bob is let in at once.
    const users = (alice: string) => `authorization { users = [ { user: alice, password: "${alice}" }, { user: bob, password: "b0b" } ] }\n`;
    const server = await NatsServer.create({ config: users('not-yet') }); // not running yet
    const late = await createActorSystem({ name: 'u-late', node: 'u-late', workers: 1, logger: quiet,
      nats: { servers: server.url, user: 'alice', pass: 's3cret', connectTimeoutMs: 200 } });
    let holder: ActorSystem | null = null;
    try {
      await late.spawn(fixture('named.actor'), { name: 'late', expose: true });
      await late.spawn(fixture('named.actor'), { name: 'late-free', expose: true });
      await server.run();
      holder = await createActorSystem({ name: 'u-holder', node: 'u-holder', workers: 1, logger: quiet, nats: { servers: server.url, user: 'bob', pass: 'b0b' } });
      await holder.spawn(fixture('named.actor'), { name: 'late', expose: true });
      const lost = nextEvent(late, 'name-lost');
      server.reload(users('s3cret'));
      await expect(lost).resolves.toMatchObject({ name: 'late', holder: 'u-holder' });
      // The other name was free: registered. The late node's 'late' still runs, for local use.
      const free = await holder.resolve('late-free', { timeoutMs: 10_000 });
      expect(free?.node).toBe('u-late');
      await expect(free!.ask('who')).resolves.toBe('/user/late-free');
      await expect(late.lookup('late')!.ask('who')).resolves.toBe('/user/late');
      expect(late.lookup('late')?.node).toBeUndefined();
      await expectConserved(late);
    } finally {
      await late.shutdown({ timeoutMs: 3000 });
      await holder?.shutdown({ timeoutMs: 3000 });
      await server.stop();
    }
  });
});
