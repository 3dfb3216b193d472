/**
 * The far side of the bridge benchmark: its own process, with
 * - a troupe system (node 'bench-b') exposing the benchmark counter as 'sink';
 * - the raw @nats-io/jetstream baseline doing the same work by hand: a stream RAW_B with a
 *   durable pull consumer that acks each message and counts it (publishing `raw.done.<n>` on core
 *   NATS when a round's count is reached), answers JetStream requests by publishing the reply to
 *   the stream RAW_A, and answers core requests on `rawcore.req`.
 * It says `ready` over IPC, and stops on `stop`.
 */
import { connect } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { unpack } from 'msgpackr';
import { createActorSystem } from 'troupe';

const url = process.env.NATS_URL!;
const system = await createActorSystem({ name: 'bench-b', node: 'bench-b', workers: 1, logger: false, nats: { servers: url } });
await system.spawn(new URL('../actors/counter.actor.js', import.meta.url), { name: 'sink', expose: true });

const nc = await connect({ servers: url });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
for (const [name, subject] of [['RAW_B', 'raw.b.>'], ['RAW_A', 'raw.a.>']] as const) {
  await jsm.streams.add({ name, subjects: [subject], duplicate_window: 10 * 60 * 1e9 }).catch(() => {});
}
await jsm.consumers.add('RAW_B', { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_ack_pending: 1024, ack_wait: 30e9 }).catch(() => {});
let count = 0;
let seq = 0;
const messages = await (await js.consumers.get('RAW_B', 'raw')).consume({ max_messages: 256 });
void (async () => {
  for await (const m of messages) {
    m.ack();
    if (m.subject === 'raw.b.req') {
      // A request: the reply goes back through a stream too (as a troupe ask's does).
      await js.publish('raw.a.rep', m.data, { msgID: `b-rep-${++seq}` });
      continue;
    }
    // Decoded, as a consumer would (and as troupe's worker does).
    if ((unpack(m.data) as { type?: string }).type === 'inc') count++;
    const target = Number(m.headers?.get('Target') ?? 0);
    if (target > 0 && count >= target) nc.publish(`raw.done.${target}`, new Uint8Array(0));
  }
})();
let coreCount = 0;
nc.subscribe('rawcore.msg', { callback: (_err, m) => {
  if ((unpack(m.data) as { type?: string }).type === 'inc') coreCount++;
  const target = Number(m.headers?.get('Target') ?? 0);
  if (target > 0 && coreCount >= target) nc.publish(`rawcore.done.${target}`, new Uint8Array(0));
} });
nc.subscribe('rawcore.req', { callback: (_err, m) => { m.respond(m.data); } });

process.on('message', async (m: string) => {
  if (m !== 'stop') return;
  messages.stop();
  await nc.close();
  await system.shutdown();
  process.exit(0);
});
process.send!('ready');
