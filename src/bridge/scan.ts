/**
 * Reading a stream from a point: an ordered (ephemeral) consumer with an optional subject filter
 * and start time, fetched in batches. One round trip per batch, not per message (the DLQ keeps up
 * to a million records, the error stream 100 000).
 */
import type { DeliverPolicy, JetStreamManager, OrderedConsumerOptions } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';

export interface ScannedMsg { seq: number; subject: string; data: Uint8Array; headers: MsgHdrs | undefined; time: Date }

const BATCH = 512;

/**
 * Messages of `stream` (matching `subject`, stored at or after `since`), oldest first. `last`:
 * only the last that many of the stream (when nothing else filters, a limit needs no more).
 */
export async function* scanStream(jsm: JetStreamManager, stream: string, o: { subject?: string; since?: number; last?: number } = {}): AsyncGenerator<ScannedMsg> {
  const info = await jsm.streams.info(stream, o.subject !== undefined ? { subjects_filter: o.subject } : undefined);
  if (info.state.messages === 0) return;
  if (o.subject !== undefined && Object.keys(info.state.subjects ?? {}).length === 0) return;
  if (o.since !== undefined && info.state.last_ts !== undefined && Date.parse(info.state.last_ts) < o.since) return;
  const opts: Partial<OrderedConsumerOptions> = {};
  if (o.subject !== undefined) opts.filter_subjects = o.subject;
  if (o.since !== undefined) {
    opts.deliver_policy = 'by_start_time' as DeliverPolicy; // (a type import: importing 'troupe' loads no NATS client)
    opts.opt_start_time = new Date(o.since).toISOString();
  } else if (o.last !== undefined && o.subject === undefined) {
    opts.deliver_policy = 'by_start_sequence' as DeliverPolicy;
    opts.opt_start_seq = Math.max(info.state.first_seq, info.state.last_seq - o.last + 1);
  }
  const consumer = await jsm.jetstream().consumers.get(stream, opts);
  try {
    for (;;) {
      const batch = await consumer.fetch({ max_messages: BATCH, expires: 1000 });
      let got = 0;
      let end = false;
      for await (const m of batch) {
        got++;
        yield { seq: m.seq, subject: m.subject, data: m.data, headers: m.headers, time: m.time };
        if (m.info.pending === 0) { end = true; break; }
      }
      if (end || got === 0) return;
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
}
