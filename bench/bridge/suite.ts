/**
 * Remote messages over NATS JetStream, between two processes on this machine (a nats-server
 * the suite starts on a free loopback port, with a temp store): troupe's bridge beside the raw
 * @nats-io/jetstream client doing the same publish + consume by hand, in the same run.
 *
 * - Tell throughput, at-least-once: N tells to a counter on the other node, then an ask for the
 *   count; raw: N `js.publish` (msg ids, 256 in flight) to a stream whose durable consumer in the
 *   other process acks and counts each, and says so on core NATS at N.
 * - The same at-most-once: troupe `delivery: 'at-most-once'`; raw: core `nc.publish`.
 * - Ask round trip (sequential), at-least-once: troupe `ask`; raw: a request published to the
 *   other side's stream, and its reply published back to this side's stream and consumed here.
 * - The same at-most-once: troupe `ask` with `delivery: 'at-most-once'`; raw: core `nc.request`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, headers } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { pack } from 'msgpackr';
import { createActorSystem } from 'troupe';
import { NatsServer, natsServerBinary } from '../lib/nats-server.js';
import type { Variant } from '../lib/rounds.js';
import { timeRoundTrips, type Rtt } from '../lib/round-trips.js';
import type { RoundsTable } from '../lib/types.js';
import { rate, toRow } from '../core/outcome.js';
import { incMsg, measure, type Suite } from '../core/suite.js';

interface Rate { rate: number }

function readU32(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
}
const WINDOW = 256;

export const bridgeSuite: Suite = {
  name: 'bridge',
  title: 'Remote messages over NATS JetStream (two processes)',
  missing: () => (natsServerBinary() === null ? "nats-server: not installed; `apt-get install nats-server` (Debian's package) to run this suite" : null),
  async run(ctx) {
    const n = ctx.quick ? 2_000 : 10_000;
    const k = ctx.quick ? 200 : 1_000;
    const server = await NatsServer.start();
    const b = fork(fileURLToPath(new URL('./node-b.js', import.meta.url)), [], { env: { ...process.env, NATS_URL: server.url }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => { b.once('message', () => resolve()); b.once('exit', (c) => reject(new Error(`node b exited (${c})`))); });
    const system = await createActorSystem({ name: 'bench-a', node: 'bench-a', workers: 1, logger: false, nats: { servers: server.url } });
    const nc = await connect({ servers: server.url });
    try {
      const sink = await system.resolve('sink', { timeoutMs: 10_000 });
      if (!sink) throw new Error('node b did not expose its sink');
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.add('RAW_A', { durable_name: 'raw-a', ack_policy: AckPolicy.Explicit });
      const replies = await (await js.consumers.get('RAW_A', 'raw-a')).consume({ max_messages: 64 });
      const waiting: { reply: ((seq: number) => void) | null } = { reply: null };
      void (async () => { for await (const m of replies) { m.ack(); waiting.reply?.(readU32(m.data)); } })();

      let sent = 0; // troupe tells, for the count check
      let rawSent = 0;
      let coreSent = 0;
      let id = 0;
      const done = (subject: string) => new Promise<void>((resolve) => { nc.subscribe(subject, { max: 1, callback: () => resolve() }); });
      const u32 = (v: number) => { const b4 = new Uint8Array(4); new DataView(b4.buffer).setUint32(0, v); return b4; };

      const tell = (delivery: 'at-least-once' | 'at-most-once'): Variant<Rate> => ({
        id: `troupe-${delivery}`,
        async round() {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i++) sink.tell(incMsg(), { delivery });
          const count = await sink.ask<number>({ type: 'get' }, { delivery, timeoutMs: 60_000 });
          const t1 = process.hrtime.bigint();
          sent += n;
          if (delivery === 'at-least-once' && count !== sent) throw new Error(`counted ${count}, expected ${sent}`);
          if (delivery === 'at-most-once') sent = count; // core NATS may drop; count what came
          return { rate: rate(n, t1 - t0) };
        },
      });
      const rawTell: Variant<Rate> = {
        id: 'raw-at-least-once',
        async round() {
          const target = rawSent + n;
          const finished = done(`raw.done.${target}`);
          const h = headers();
          h.set('Target', String(target));
          const t0 = process.hrtime.bigint();
          const inflight = new Set<Promise<unknown>>();
          for (let i = 0; i < n; i++) {
            // Each message encoded on its own, as troupe does (msgpackr, like troupe's wire).
            const p = js.publish('raw.b.msg', pack(incMsg()), { msgID: `a-${++id}`, headers: i === n - 1 ? h : undefined });
            inflight.add(p);
            void p.finally(() => inflight.delete(p));
            if (inflight.size >= WINDOW) await Promise.race(inflight);
          }
          await Promise.all(inflight);
          await finished;
          const t1 = process.hrtime.bigint();
          rawSent = target;
          return { rate: rate(n, t1 - t0) };
        },
      };
      const rawCore: Variant<Rate> = {
        id: 'raw-at-most-once',
        async round() {
          const target = coreSent + n;
          const finished = done(`rawcore.done.${target}`);
          const h = headers();
          h.set('Target', String(target));
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i++) nc.publish('rawcore.msg', pack(incMsg()), i === n - 1 ? { headers: h } : undefined);
          await finished;
          const t1 = process.hrtime.bigint();
          coreSent = target;
          return { rate: rate(n, t1 - t0) };
        },
      };
      const ask = (delivery: 'at-least-once' | 'at-most-once'): Variant<Rtt> => ({
        id: `troupe-${delivery}`,
        round: () => timeRoundTrips(k, (seq) => sink.ask({ type: 'ping', seq }, { delivery, timeoutMs: 10_000 })),
      });
      const rawAsk: Variant<Rtt> = {
        id: 'raw-at-least-once',
        round: () => timeRoundTrips(k, (seq) => new Promise((resolve, reject) => {
          waiting.reply = resolve as (s: number) => void;
          js.publish('raw.b.req', u32(seq), { msgID: `a-req-${++id}` }).catch(reject);
        })),
      };
      const rawRequest: Variant<Rtt> = {
        id: 'raw-at-most-once',
        round: () => timeRoundTrips(k, async (seq) => readU32((await nc.request('rawcore.req', u32(seq), { timeout: 10_000 })).data)),
      };

      const closer = { close: async () => {} };
      const throughput = await measure(ctx, [tell('at-least-once'), rawTell, tell('at-most-once'), rawCore], closer);
      const rtt = await measure(ctx, [ask('at-least-once'), rawAsk, ask('at-most-once'), rawRequest], closer);
      replies.stop();

      const rateTable = (mode: string): RoundsTable => ({
        kind: 'rounds', id: `bridge-tell-${mode}`, title: `Remote tell throughput, ${mode}`, unit: 'msg/s', better: 'higher',
        baselines: [`raw-${mode}`],
        rows: [
          toRow(throughput, `troupe-${mode}`, `troupe \`tell\` (${mode})`, 'troupe', (m: Rate) => m.rate),
          toRow(throughput, `raw-${mode}`, mode === 'at-least-once' ? 'raw @nats-io/jetstream publish + consume' : 'raw core NATS publish + subscribe', 'baseline', (m: Rate) => m.rate),
        ],
        targets: [{ row: `troupe-${mode}`, op: '>=', value: 0.8, against: `raw-${mode}` }],
      });
      const rttTable = (mode: string, which: 'p50' | 'p99'): RoundsTable => ({
        kind: 'rounds', id: `bridge-ask-${mode}-${which}`, title: `Remote ask round trip ${which}, ${mode}`, unit: 'µs', better: 'lower',
        baselines: [`raw-${mode}`],
        rows: [
          toRow(rtt, `troupe-${mode}`, `troupe \`ask\` (${mode})`, 'troupe', (m: Rtt) => m[which]),
          toRow(rtt, `raw-${mode}`, mode === 'at-least-once' ? 'raw: request and reply through streams' : 'raw core NATS request', 'baseline', (m: Rtt) => m[which]),
        ],
        // ">= 0.8x the raw client" for a time is at most 1.25x its time.
        targets: [{ row: `troupe-${mode}`, op: '<=', value: 1.25, against: `raw-${mode}` }],
      });
      return {
        description:
          `Two processes on this machine and a nats-server ${'(Debian 2.9.10 here)'} the suite starts. Tell: N = ${n.toLocaleString('en-US')} ` +
          `messages, then the count; ask: ${k.toLocaleString('en-US')} sequential round trips. troupe's bridge beside the raw ` +
          '@nats-io/jetstream (and core NATS) client doing the same publish and consume by hand, 256 publishes in flight.',
        params: { messagesPerRound: n, roundTrips: k, window: WINDOW },
        tables: [
          rateTable('at-least-once'), rateTable('at-most-once'),
          rttTable('at-least-once', 'p50'), rttTable('at-least-once', 'p99'),
          rttTable('at-most-once', 'p50'), rttTable('at-most-once', 'p99'),
        ],
      };
    } finally {
      await nc.close().catch(() => {});
      await system.shutdown().catch(() => {});
      b.send('stop');
      await new Promise((r) => { if (b.exitCode !== null) r(null); else b.once('exit', r); });
      await server.stop();
    }
  },
};
