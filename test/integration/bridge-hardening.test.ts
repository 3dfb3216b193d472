// The bridge against what the review of its first version found (each of these failed then):
// forged replies, spoofed ids, stream messages without ids, tells lost with a worker, replies to
// an actor that is not exposed, a publish the server refuses, and shutdown with NATS never up.
import { pack } from 'msgpackr';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { deadLetters, expectConserved, fixture, quiet, until, wire } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';

const haveNats = natsAvailable();


describe.skipIf(!haveNats)('the bridge, hardened', () => {
  let server: NatsServer;
  let a: ActorSystem;
  let b: ActorSystem;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await NatsServer.start();
    const nats = { servers: server.url, retryMs: 50, publishTimeoutMs: 500, ackWaitMs: 1000 };
    a = await createActorSystem({ name: 'ha', node: 'h-a', workers: 1, logger: quiet, nats });
    b = await createActorSystem({ name: 'hb', node: 'h-b', workers: 1, logger: quiet, nats });
    await b.spawn(fixture('echo.actor'), { name: 'h-echo', expose: true });
    await b.spawn(fixture('counter.actor'), { name: 'h-counter', expose: true });
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await nc?.close();
    await a?.shutdown({ timeoutMs: 3000 });
    await b?.shutdown({ timeoutMs: 3000 });
    await server?.stop();
  });

  it('only the node that was asked can answer an ask', async () => {
    const echo = (await a.resolve('h-echo'))!;
    const answer = echo.ask({ type: 'sleep', ms: 300 }, { timeoutMs: 5000 });
    const js = jetstream(nc);
    const forged = deadLetters(a, 'unexpected-reply', 20);
    for (let corr = 1; corr <= 20; corr++) {
      await js.publish('troupe.node.h-a.mallory', wire('mallory', { k: 2, f: null, t: [0, corr], c: 0 }, pack('forged')), { msgID: `mallory.r${corr}` });
    }
    await forged;
    await expect(answer).resolves.toBe('slept');
  });

  it("a spoofed message cannot mark another node's ids as done", async () => {
    const counter = (await a.resolve('h-counter'))!;
    const local = b.lookup('h-counter')!;
    const before = await local.ask<number>({ type: 'get' });
    // Ids as node a numbered them at first (one counter for all destinations, visible to any node
    // a writes to): mallory sends 50 messages with a's next ones. Neither node b's own dedupe nor
    // the stream's (the server drops a second message with an id in its window) may take them.
    const { boot, seq } = (a as unknown as { main: { remote: { ids: { boot: string; seq: number } } } }).main.remote.ids;
    const spoofed = deadLetters(b, 'spoofed', 50);
    const js = jetstream(nc);
    const bytes = wire('mallory', { k: 0, f: null, t: [local.thread, local.id], c: 0 }, pack({ type: 'inc' }));
    for (let s = seq + 1; s <= seq + 50; s++) await js.publish('troupe.node.h-b.mallory', bytes, { msgID: `h-a.${boot}.${s}` });
    await spoofed;
    for (let i = 0; i < 10; i++) counter.tell({ type: 'inc' });
    await expect(counter.ask({ type: 'get' })).resolves.toBe(before + 10);
  });

  it('a stream message without a msg id is handled once and acked', async () => {
    const local = b.lookup('h-counter')!;
    const ti = (await a.resolve('h-counter'))!.incarnation; // this run of node h-b
    const before = await local.ask<number>({ type: 'get' });
    const ack = await jetstream(nc).publish('troupe.node.h-b.other', wire('other', { k: 0, f: null, t: [local.thread, local.id], ti, c: 0 }, pack({ type: 'inc' })));
    const jsm = await jetstreamManager(nc);
    const info = await until(() => jsm.consumers.info('troupe_NODE_h-b', 'troupe_bridge'), (i) => i.ack_floor.stream_seq >= ack.seq, 10_000);
    expect(info.ack_floor.stream_seq).toBeGreaterThanOrEqual(ack.seq);
    await expect(local.ask({ type: 'get' })).resolves.toBe(before + 1);
  });

  it("tells in a dead worker's mailbox are redelivered and handled", async () => {
    await b.spawn(fixture('counter.actor'), { name: 'wd-counter', expose: true });
    await b.spawn(fixture('crash-forward.actor'), { name: 'wd-crash', expose: true, placement: 'dedicated' });
    const crash = (await a.resolve('wd-crash'))!;
    const counter = (await a.resolve('wd-counter'))!;
    crash.tell({ type: 'exit' });
    for (let i = 0; i < 5; i++) crash.tell({ type: 'fwd', to: counter });
    const n = await until(() => counter.ask<number>({ type: 'get' }), (v) => v >= 5, 30_000);
    expect(n).toBe(5);
    // The tell that took the worker down is dead-lettered, not redelivered to do it again.
    expect(b.events.list('worker-died')).toHaveLength(1);
    expect(b.deadLetters.list({ reason: 'worker-died', target: '/user/wd-crash' })).toHaveLength(1);
  });

  it('a reply told back to an actor that is not exposed reaches it', async () => {
    const recorder = await a.spawn(fixture('recorder.actor'));
    const counter = (await a.resolve('h-counter'))!;
    recorder.tell({ type: 'send', to: counter, msg: { type: 'get' } });
    const got = await until(() => recorder.ask<unknown[]>({ type: 'got' }), (g) => g.length > 0, 10_000);
    expect(got).toHaveLength(1);
    expect(typeof got[0]).toBe('number');
    expect(a.deadLetters.counts()['not-exposed']).toBeUndefined();
  });

  it('a node that stops removes its names', async () => {
    const d = await createActorSystem({ name: 'hd', node: 'h-d', workers: 1, logger: quiet, nats: { servers: server.url } });
    await d.spawn(fixture('echo.actor'), { name: 'h-temp', expose: true });
    expect((await a.resolve('h-temp'))?.node).toBe('h-d');
    await d.shutdown();
    const echo = b.lookup('h-echo')!;
    // Each probe is a round trip, so the name registry's watch gets its turn in between.
    const left = await until(async () => { await echo.ask({ type: 'echo', value: 0 }); return a.lookup('h-temp'); }, (r) => r === undefined, 10_000);
    expect(left).toBeUndefined();
  });

  it('a dead letter too large for the server does not hold up the messages behind it', async () => {
    const gone = await a.spawn(fixture('echo.actor'));
    await a.stop(gone);
    gone.tell({ big: 'x'.repeat(2 * 1024 * 1024) }); // dead-lettered: its DLQ record is too big to store whole
    const counter = (await a.resolve('h-counter'))!;
    const before = await counter.ask<number>({ type: 'get' });
    for (let i = 0; i < 100; i++) counter.tell({ type: 'inc' });
    await expect(counter.ask({ type: 'get' })).resolves.toBe(before + 100);
    const stored = await until(() => a.deadLetters.stored({ reason: 'no-such-actor' }), (l) => l.length > 0, 10_000);
    expect(String(stored.at(-1)!.message)).toMatch(/too large to keep in the DLQ/);
    await expectConserved(a);
  });
});

describe.skipIf(!haveNats)('shutdown with NATS never reachable', () => {
  it('finishes', async () => {
    const never = await NatsServer.create();
    const c = await createActorSystem({ name: 'hc', node: 'h-c', workers: 1, logger: quiet, nats: { servers: never.url, connectTimeoutMs: 200 } });
    await c.shutdown({ timeoutMs: 1000 });
    await never.stop();
  });
});

describe.skipIf(!haveNats)('a server with a small max_payload', () => {
  it('at-most-once frames stay under it: a burst of tells all arrive', async () => {
    const server = await NatsServer.start({ maxPayload: 4096 });
    const a = await createActorSystem({ name: 'hp-a', node: 'hp-a', workers: 1, logger: quiet, nats: { servers: server.url } });
    const b = await createActorSystem({ name: 'hp-b', node: 'hp-b', workers: 1, logger: quiet, nats: { servers: server.url } });
    try {
      await b.spawn(fixture('counter.actor'), { name: 'hp-counter', expose: true });
      const counter = (await a.resolve('hp-counter', { timeoutMs: 10_000 }))!;
      // About 45 KB in one burst: frames of at most 64 KB would be refused by this server.
      for (let seq = 0; seq < 1000; seq++) counter.tell({ type: 'inc', from: 'a', seq }, { delivery: 'at-most-once' });
      await expect(counter.ask({ type: 'report' }, { delivery: 'at-most-once' })).resolves.toMatchObject({ n: 1000, outOfOrder: 0 });
      expect(a.deadLetters.counts()).toEqual({});
      await expectConserved(a);
    } finally {
      await a.shutdown();
      await b.shutdown();
      await server.stop();
    }
  });
});
