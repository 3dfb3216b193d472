/**
 * The dead-letter backstop. A message that used up its deliveries without an ack (its node died
 * before it could dead-letter it) makes JetStream publish a max-deliveries advisory; the advisory
 * stream `<P>_ADVISORIES` keeps it (streams.ts), and one node (a shared durable consumer) turns it
 * into a DLQ record: reason `max-deliveries`, the original message, its target and delivery
 * count. The record's msg id is the stream and sequence, so it is written once.
 */
import type { Logger } from 'pino';
import type { ConsumerMessages } from '@nats-io/jetstream';
import type { Names } from './config.js';
import type { Link } from './connection.js';
import { H } from './dlq.js';
import { W_REPLY, W_REPLY_ERROR, decodePayload } from './envelope.js';
import { headersOf } from './outbox.js';

/** What JetStream's max-deliveries advisory says. */
interface Advisory { stream: string; stream_seq: number; deliveries: number }

export class Backstop {
  private messages: ConsumerMessages | null = null;

  constructor(private readonly link: Link, private readonly names: Names, private readonly log: Logger) {}

  /** Reads the advisories (once the connection is set up), until stopped. */
  start(): void {
    void this.consume().catch((err) => { if (!this.link.closing) this.log.error({ err }, 'NATS bridge: dead-letter backstop stopped'); });
  }

  stop(): void {
    this.messages?.stop();
  }

  private async consume(): Promise<void> {
    const n = this.names;
    const consumer = await this.link.js!.consumers.get(n.advisoryStream, n.backstop);
    const messages = await consumer.consume({ max_messages: 64 });
    this.messages = messages;
    for await (const m of messages) {
      try {
        await this.record(m.json<Advisory>());
        m.ack();
      } catch (err) {
        this.log.warn({ err }, 'dead-letter backstop: could not handle an advisory; retrying later');
        m.nak(5000);
      }
    }
  }

  /** The DLQ record of the message an advisory is about (nothing if the message is gone). */
  private async record(adv: Advisory): Promise<void> {
    const n = this.names;
    const stored = await this.link.jsm!.streams.getMessage(adv.stream, { seq: adv.stream_seq }).catch(() => null);
    if (stored === null) return; // aged out or deleted: nothing to keep
    const node = n.nodeOfStream(adv.stream);
    const from = stored.subject.slice(stored.subject.lastIndexOf('.') + 1);
    let payload = stored.data;
    let target = `node ${node}`;
    let incarnation: number | undefined;
    const d = decodePayload(stored.data);
    if (d.bad === null && d.envelopes.length === 1) {
      const env = d.envelopes[0]!;
      payload = env.m;
      target = env.k === W_REPLY || env.k === W_REPLY_ERROR ? `@${env.t[0]}.ask #${env.t[1]}` : `@${env.t[0]}.${env.t[1]}`;
      // The run of the node the address is in: a replay to it goes there, or is a stale ref.
      incarnation = env.ti;
    } // else not an envelope: keep the bytes as they were
    const time = stored.time.getTime();
    const headers = headersOf({
      [H.reason]: 'max-deliveries', [H.target]: target, [H.sender]: `node ${from}`, [H.node]: node, [H.incarnation]: incarnation,
      [H.errorMessage]: `delivered ${adv.deliveries} times without an ack: its node stopped before it could dead-letter it`,
      [H.deliveries]: adv.deliveries, [H.firstTime]: time, [H.lastTime]: Date.now(),
    });
    await this.link.js!.publish(n.dlq('max-deliveries', node), payload, { msgID: `dlq.${adv.stream}.${adv.stream_seq}`, headers });
  }
}
