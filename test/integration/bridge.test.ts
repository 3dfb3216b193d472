// The JetStream bridge (issue 4): two nodes, each its own process and actor system, joined by a
// real nats-server this file starts (free loopback port, temp store, stopped by PID).
import { pack } from 'msgpackr';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { NatsServer, natsAvailable } from '../nats-server.js';
import { OtherNode } from '../other-node.js';
import { runDlq, parseSince } from '../../src/cli/dlq.js';
import { decodePayload } from '../../src/bridge/envelope.js';
import { concat, expectConserved, fixture, quiet, until, wire } from '../helpers.js';

const haveNats = natsAvailable();

describe.skipIf(!haveNats)('two nodes over NATS', () => {
  let server: NatsServer;
  let a: ActorSystem;
  let b: OtherNode;

  beforeAll(async () => {
    server = await NatsServer.start();
    a = await createActorSystem({ name: 'node-a', node: 'node-a', workers: 2, logger: quiet, nats: { servers: server.url, retryMs: 50 } });
    await a.spawn(fixture('echo.actor'), { name: 'echo-a', expose: true });
    b = await OtherNode.start(server.url, 'node-b');
  });

  afterAll(async () => {
    await b?.stop();
    await a?.shutdown();
    await server?.stop();
  });

  it('tell and ask both ways, with lookup by name across nodes', async () => {
    const echoB = await a.resolve('echo-b', { timeoutMs: 10_000 });
    expect(echoB?.node).toBe('node-b');
    await expect(echoB!.ask({ type: 'echo', value: { n: 42, s: 'forty-two' } })).resolves.toEqual({ n: 42, s: 'forty-two' });
    // And from node b to an actor here.
    await expect(b.call({ cmd: 'ask', name: 'echo-a', msg: { type: 'echo', value: 'from b' } })).resolves.toBe('from b');
    // Tells arrive once each, in order.
    const counter = await a.resolve('counter-b');
    for (let seq = 0; seq < 500; seq++) counter!.tell({ type: 'inc', from: 'a', seq });
    await expect(counter!.ask({ type: 'report' })).resolves.toMatchObject({ n: 500, outOfOrder: 0, last: { a: 499 } });
  });

  it('refs inside messages work from the other node (an actor there asks an actor here)', async () => {
    const echoB = await a.resolve('echo-b');
    const echoA = a.lookup('echo-a')!;
    // echo-b (on node b) gets a ref to echo-a (here), asks it, and replies with its answer.
    await expect(echoB!.ask({ type: 'ask-other', other: echoA, value: 'round trip' })).resolves.toBe('round trip');
  });

  it('errors arrive with their codes; unexposed actors and unknown names are refused', async () => {
    const failing = await a.resolve('failing-b');
    await expect(failing!.ask({ type: 'ok', value: 21 })).resolves.toBe(42);
    await expect(failing!.ask({ type: 'boom', field: 'email' })).rejects.toMatchObject({ name: 'ValidationError', code: 'E_VALIDATION', message: 'bad email' });
    expect(await a.resolve('hidden-b', { timeoutMs: 200 })).toBeUndefined();
    expect(a.lookup('no-such-name')).toBeUndefined();
  });

  it('a poison message: exactly maxDeliver attempts with growing delays, then one DLQ record; replayed after the fix, processed once', async () => {
    const poison = await a.resolve('poison-b');
    const nc = await connect({ servers: server.url });
    try {
      // Wait on the DLQ stream itself (a plain subscription) for the record.
      const dlq = nc.subscribe('troupe.dlq.actor-failed.node-b', { max: 1 });
      const stored = (async () => { for await (const m of dlq) return m; })();
      poison!.tell({ type: 'poison', id: 'p1' });
      const record = await stored;
      expect(record!.headers!.get('Troupe-Target')).toBe('/user/poison-b');
      expect(record!.headers!.get('Troupe-Error-Message')).toBe('cannot digest p1');
      const attempts = await poison!.ask<number[]>({ type: 'attempts' });
      expect(attempts).toHaveLength(5); // nats.maxDeliver, default 5
      // nak delays: retryMs (50) * 2^(n-1): 50, 100, 200, 400 ms at least.
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(50 * 2 ** i - 5));
      const stored1 = await a.deadLetters.stored({ reason: 'actor-failed', target: '/user/poison-b' });
      expect(stored1).toHaveLength(1);
      expect(stored1[0]).toMatchObject({ node: 'node-b', message: { type: 'poison', id: 'p1' }, error: { message: 'cannot digest p1' } });

      await expect(poison!.ask({ type: 'fix' })).resolves.toBe('fixed');
      await expect(a.deadLetters.replay({ reason: 'actor-failed', target: '/user/poison-b' })).resolves.toEqual({ replayed: 1, skipped: 0 });
      // The replay was stored before this ask, in the same stream: it is handled first.
      await expect(poison!.ask({ type: 'processed' })).resolves.toEqual(['p1']);
      await expect(a.deadLetters.replay({ reason: 'actor-failed', target: '/user/poison-b' })).resolves.toEqual({ replayed: 0, skipped: 0 });
      expect(await poison!.ask<number[]>({ type: 'attempts' })).toHaveLength(6);
    } finally {
      await nc.close();
    }
  });

  it('error events: reported, readable by recent() and by a plain JetStream consumer', async () => {
    const echoA = a.lookup('echo-a')!;
    const nc = await connect({ servers: server.url });
    try {
      const js = jetstream(nc);
      const consumer = await js.consumers.get('troupe_ERRORS', { filter_subjects: 'troupe.errors.warn.validation', deliver_policy: DeliverPolicy.New });
      const next = consumer.next({ expires: 10_000 });
      await expect(echoA.ask({ type: 'report', message: 'order 7 has no lines', severity: 'warn', category: 'validation' })).resolves.toBe('reported');
      const m = await next;
      const plain = m!.json<{ message: string; actor: string; node: string; severity: string; details: unknown }>();
      expect(plain).toMatchObject({ message: 'order 7 has no lines', actor: '/user/echo-a', node: 'node-a', severity: 'warn', details: { where: 'echo' } });
      const recent = await a.errors.recent({ severity: 'warn', actor: '/user/echo-a' });
      expect(recent.map((e) => e.message)).toContain('order 7 has no lines');
      // A supervision failure is an error event too (the poison message above, on node b).
      const all = await a.errors.recent({ actor: '/user/poison-b', limit: 1000 });
      expect(all.length).toBeGreaterThanOrEqual(5);
      expect(all[0]).toMatchObject({ node: 'node-b', category: 'processing', severity: 'error' });
    } finally {
      await nc.close();
    }
  });

  it('bad input from the wire is dead-lettered with its reason, and the node keeps serving', async () => {
    const nc: NatsConnection = await connect({ servers: server.url });
    try {
      const js = jetstream(nc);
      const to = (from: string) => `troupe.node.node-b.${from}`;
      const ti = (await a.resolve('echo-b'))!.incarnation; // this run of node b
      const env = (n: string, t: [number, number] = [1, 1]) => wire(n, { k: 0, f: null, t, ti, c: 0 }, pack({ type: 'echo', value: 1 }));
      await js.publish(to('mallory'), new Uint8Array([0x13, 0xff, 0x00, 0x13]), { msgID: 'mallory.1' });
      await js.publish(to('mallory'), env('node-a'), { msgID: 'mallory.2' }); // claims to be node-a
      const v3 = env('mallory');
      v3[1] = 9; // a wire version from the future
      await js.publish(to('mallory'), v3, { msgID: 'mallory.3' });
      await js.publish(to('mallory'), new Uint8Array(100 * 1024), { msgID: 'mallory.4' });
      await js.publish(to('mallory'), env('mallory', [1, 9999]), { msgID: 'mallory.5' });
      // Each is dead-lettered and acked; echo-b still answers (its ask is behind them in the stream).
      await expect(b.call({ cmd: 'ask', name: 'echo-b', msg: { type: 'echo', value: 'still here' } })).resolves.toBe('still here');
      const echoB = await a.resolve('echo-b');
      await expect(echoB!.ask({ type: 'echo', value: 'and here' })).resolves.toBe('and here');
      const counts = await b.call<Record<string, number>>({ cmd: 'dead-letters' });
      expect(counts).toMatchObject({ 'bad-message': 1, spoofed: 1, 'unsupported-version': 1, oversized: 1, 'not-exposed': 1 });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.consumers.info('troupe_NODE_node-b', 'troupe_bridge');
      expect(info.num_ack_pending).toBe(0);
    } finally {
      await nc.close();
    }
  });

  it('at-most-once tells share frames: all arrive, in order; a bad part of a frame is dead-lettered alone', async () => {
    const counter = (await a.resolve('counter-b'))!;
    const nc = await connect({ servers: server.url });
    try {
      // Watch the wire: one synchronous burst goes as a few core NATS messages, not 2000.
      let frames = 0;
      let parts = 0;
      const bad: unknown[] = [];
      const all = new Promise<void>((resolve) => nc.subscribe('troupe.direct.node-b.node-a', { callback: (_e, m) => {
        const d = decodePayload(m.data);
        if (d.bad !== null) bad.push(d.bad);
        frames++;
        parts += d.envelopes.length;
        if (parts >= 2001) resolve();
      } }));
      await nc.flush();
      for (let seq = 0; seq < 2000; seq++) counter.tell({ type: 'inc', from: 'amo', seq }, { delivery: 'at-most-once' });
      await expect(counter.ask({ type: 'report' }, { delivery: 'at-most-once' })).resolves.toMatchObject({ outOfOrder: 0, last: { amo: 1999 } });
      await all;
      expect(bad).toEqual([]);
      expect(parts).toBe(2001);
      expect(frames).toBeLessThanOrEqual(20);
    } finally {
      await nc.close();
    }
    // A frame by hand: a good tell, garbage, and one that claims another node; and an empty frame.
    const before = await b.call<Record<string, number>>({ cmd: 'dead-letters' });
    const forger = await connect({ servers: server.url });
    try {
      const env = (n: string, seq: number) => wire(n, { k: 0, f: null, t: [counter.thread, counter.id], ti: counter.incarnation, c: 0 }, pack({ type: 'inc', from: 'frame', seq }));
      const part = (n: string, seq: number) => { const p = env(n, seq); return p.subarray(7 + p[2]!); }; // its envelope, without the payload header
      // A frame whose header claims node-a, on mallory's subject: one spoofed dead letter for all of it.
      const spoofedNode = concat(env('node-a', 1), part('node-a', 2), part('node-a', 3));
      forger.publish('troupe.direct.node-b.mallory', concat(env('mallory', 0), part('mallory', 1)));
      forger.publish('troupe.direct.node-b.mallory', spoofedNode);
      // A frame whose second envelope is cut short: the first is processed, the rest dead-lettered.
      forger.publish('troupe.direct.node-b.mallory', concat(env('mallory', 2), part('mallory', 3).subarray(0, 10)));
      forger.publish('troupe.direct.node-b.mallory', env('mallory', 0).subarray(0, 7 + 'mallory'.length)); // a header, no envelope
      await forger.flush();
    } finally {
      await forger.close();
    }
    const report = await until(() => counter.ask<{ last: Record<string, number> }>({ type: 'report' }), (r) => r.last.frame === 2, 10_000);
    expect(report).toMatchObject({ outOfOrder: 0, last: { frame: 2 } });
    const after = await until(() => b.call<Record<string, number>>({ cmd: 'dead-letters' }),
      (c) => (c['bad-message'] ?? 0) - (before['bad-message'] ?? 0) >= 2, 10_000);
    expect((after['bad-message'] ?? 0) - (before['bad-message'] ?? 0)).toBe(2);
    expect((after.spoofed ?? 0) - (before.spoofed ?? 0)).toBe(1);
  });

  it('an at-most-once burst longer than the outbox goes out while NATS is up; frames larger than the receiver\'s limit are read per message', async () => {
    const small = await createActorSystem({ name: 'node-c', node: 'node-c', workers: 1, logger: quiet, nats: { servers: server.url, outboxCapacity: 100, maxPayloadBytes: 2048 } });
    try {
      // Node a (64 KB frames) to node c (2 KB limit per message): every tell arrives.
      await small.spawn(fixture('counter.actor'), { name: 'counter-c', expose: true });
      const counterC = (await a.resolve('counter-c', { timeoutMs: 10_000 }))!;
      for (let seq = 0; seq < 1000; seq++) counterC.tell({ type: 'inc', from: 'a-amo', seq }, { delivery: 'at-most-once' });
      await expect(counterC.ask({ type: 'report' }, { delivery: 'at-most-once' })).resolves.toMatchObject({ n: 1000, outOfOrder: 0 });
      const counter = (await small.resolve('counter-b', { timeoutMs: 10_000 }))!;
      for (let seq = 0; seq < 1000; seq++) counter.tell({ type: 'inc', from: 'c-amo', seq }, { delivery: 'at-most-once' });
      const report = await until(() => counter.ask<{ last: Record<string, number> }>({ type: 'report' }, { delivery: 'at-most-once' }), (r) => r.last['c-amo'] === 999, 10_000);
      expect(report.last['c-amo']).toBe(999);
      expect(small.deadLetters.counts()).toEqual({});
      await expectConserved(small);
      await expectConserved(a);
    } finally {
      await small.shutdown();
    }
  });

  it('the CLI lists, replays and purges the dead-letter stream', async () => {
    const failing = await a.resolve('failing-b');
    await expect(failing!.ask({ type: 'boom', field: 'zip' })).rejects.toMatchObject({ code: 'E_VALIDATION' });
    const nc = await connect({ servers: server.url });
    try {
      const cli = async (...args: string[]) => {
        const out: string[] = [];
        expect(await runDlq([...args, '--nats', server.url], (l) => out.push(l))).toBe(0);
        return out;
      };
      // Wait until the record is stored (the dead letter reaches the stream a moment after the reply).
      const first = nc.subscribe('troupe.dlq.actor-failed.node-b', { max: 1 });
      const listed = await (async () => {
        for (;;) {
          const out = await cli('list', '--reason', 'actor-failed', '--target', '/user/failing-b', '--since', '1h');
          if (out.some((l) => l.includes('bad zip'))) return out;
          for await (const _ of first) break; // the next record to arrive
        }
      })();
      expect(listed.at(-1)).toMatch(/^\d+ dead letter\(s\)$/);
      // Replay: the message goes back to failing-b (an exposed actor), fails again, and is stored again.
      const before = listed.filter((l) => l.includes('/user/failing-b')).length;
      const again = nc.subscribe('troupe.dlq.actor-failed.node-b', { max: before });
      expect(await cli('replay', '--reason', 'actor-failed', '--target', '/user/failing-b')).toEqual([`replayed ${before}, skipped 0 (no target found)`]);
      let stored = 0;
      for await (const _ of again) if (++stored === before) break; // each replayed message failed again
      expect(await cli('purge', '--target', '/user/failing-b')).toEqual([expect.stringMatching(/^purged [1-9]\d* dead letter\(s\)$/)]);
      expect(await cli('list', '--target', '/user/failing-b')).toEqual(['0 dead letter(s)']);
    } finally {
      await nc.close();
    }
    expect(parseSince('30m', 10_000_000)).toBe(10_000_000 - 30 * 60_000);
    expect(parseSince('2026-11-22T00:00:00Z')).toBe(Date.parse('2026-11-22T00:00:00Z'));
  });

  it('keeps the count on each node', async () => {
    await expectConserved(a);
    const s = await b.call<{ sent: number; processed: number; deadLettered: number; queued: number; returned: number; inFlight: number }>({ cmd: 'stats' });
    expect(s.inFlight).toBe(0);
    expect(s.sent).toBe(s.processed + s.deadLettered + s.queued + s.returned);
  });
});
