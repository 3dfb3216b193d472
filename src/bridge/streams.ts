/**
 * What the bridge makes on the server, and how long each keeps what it holds. Set up on the first
 * connect, and again after a reconnect or when this node's consumer goes (the server may have
 * come back without its store); what exists already is left as it is.
 *
 * - `<P>_NODE_<node>`: this node's mail from other nodes (a day; a 10-minute dedupe window), and
 *   its durable consumer (inbox.ts): explicit ack, `ackWaitMs`, `maxDeliver`, 1 024 unacked.
 * - `<P>_DLQ`: every node's dead letters (30 days, a million records; dlq.ts).
 * - `<P>_ERRORS`: error events (7 days, 100 000 events; error-stream.ts).
 * - `<P>_ADVISORIES`: the max-deliveries advisories of every node's consumer, and the one shared
 *   consumer that turns them into dead letters (7 days; backstop.ts).
 * - `<P>_names`: the KV bucket of exposed names (an entry lives NAMES_TTL_MS after its last
 *   write; names.ts).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { BridgeConfig, Names } from './config.js';
import { NAMES_TTL_MS } from './names.js';

/** Makes the streams and consumers, or brings this node's consumer up to date. */
export async function setUpStreams(jsm: JetStreamManager, n: Names, c: BridgeConfig): Promise<void> {
  await ensureStream(jsm, {
    name: n.nodeStream, subjects: [n.nodeSubjects], retention: RetentionPolicy.Limits, storage: StorageType.File,
    // No max_msg_size: an oversized message is the bridge's to dead-letter (with a reason), not the server's to refuse.
    max_age: 24 * 3600 * 1e9, duplicate_window: 10 * 60 * 1e9, discard: DiscardPolicy.Old,
  });
  const consumer = {
    durable_name: n.consumer, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
    ack_wait: c.ackWaitMs * 1e6, max_deliver: c.maxDeliver, max_ack_pending: 1024,
  };
  try {
    await jsm.consumers.add(n.nodeStream, consumer);
  } catch (err) {
    // It exists with other settings (say, ackWaitMs changed): bring it up to date.
    await jsm.consumers.update(n.nodeStream, n.consumer, { ack_wait: consumer.ack_wait, max_deliver: consumer.max_deliver, max_ack_pending: consumer.max_ack_pending })
      .catch(() => { throw err; });
  }
  await ensureStream(jsm, {
    name: n.dlqStream, subjects: [n.dlqSubjects], retention: RetentionPolicy.Limits, storage: StorageType.File,
    max_age: 30 * 24 * 3600 * 1e9, max_msgs: 1_000_000, duplicate_window: 10 * 60 * 1e9, discard: DiscardPolicy.Old,
  });
  await ensureStream(jsm, {
    name: n.errorsStream, subjects: [n.errorsSubjects], retention: RetentionPolicy.Limits, storage: StorageType.File,
    max_age: 7 * 24 * 3600 * 1e9, max_msgs: 100_000, discard: DiscardPolicy.Old,
  });
  // The backstop for dead letters (backstop.ts).
  await ensureStream(jsm, {
    name: n.advisoryStream, subjects: [n.advisorySubjects], retention: RetentionPolicy.Limits, storage: StorageType.File,
    max_age: 7 * 24 * 3600 * 1e9, discard: DiscardPolicy.Old,
  });
  await jsm.consumers.add(n.advisoryStream, {
    durable_name: n.backstop, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 30e9, max_deliver: 10,
  }).catch(() => { /* exists */ });
}

/** The bucket of exposed names (made if it is not there). */
export function openNamesBucket(nc: NatsConnection, n: Names): Promise<KV> {
  return new Kvm(nc).create(n.namesBucket, { history: 1, ttl: NAMES_TTL_MS });
}

/** Creates a stream, or leaves it as it is if it exists already. */
async function ensureStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0]): Promise<void> {
  try {
    await jsm.streams.info(config.name!);
  } catch {
    await jsm.streams.add(config);
  }
}
