// Nodes that claim what another has: a second process with a running node's id, and exposed
// names two nodes want. Nodes that restart are processes of their own
// (test/fixtures/bare-node.ts); one nats-server for the file (free loopback port, temp store,
// stopped by PID).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem, type SystemStats } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet, until } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';
import { OtherNode } from '../other-node.js';

const haveNats = natsAvailable();

const bare = (url: string, node: string, options?: Record<string, unknown>) => OtherNode.start(url, node, { fixture: 'bare-node', options });

/** The same check as expectConserved, on a node in another process. */
async function expectConservedThere(node: OtherNode): Promise<void> {
  const s = await node.call<SystemStats>({ cmd: 'stats' });
  expect(s.inFlight, `in flight: ${JSON.stringify(s)}`).toBe(0);
  expect(s.sent).toBe(s.processed + s.deadLettered + s.queued + s.returned);
}

describe.skipIf(!haveNats)('node ids and exposed names', () => {
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
