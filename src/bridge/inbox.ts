/**
 * What comes to this node, as it comes. At-least-once: this node's stream `<P>_NODE_<node>`
 * (subjects `<P>.node.<node>.<sender>`; set up in streams.ts), read through one durable pull
 * consumer (explicit ack, bounded ack pending) for as long as the bridge is open. At-most-once:
 * core NATS on `<P>.direct.<node>.<sender>`, where one NATS message may be a frame of several
 * (envelope.ts).
 *
 * Each message is checked here and handed on as an Incoming (incoming.ts) with how to settle it:
 * ack, nak with a delay, or `working`. The sender's node is the subject's last token, never the
 * payload's say-so: a payload that claims another node is `spoofed`. Bad input is handed on as
 * bad, with its reason; nothing here throws.
 */
import type { Logger } from 'pino';
import type { MsgHdrs, Subscription } from '@nats-io/transport-node';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { BridgeConfig, Names } from './config.js';
import type { Link } from './connection.js';
import { decodePayload, type Envelope } from './envelope.js';
import type { Incoming, WireFault } from './incoming.js';

export class Inbox {
  private consumerMessages: ConsumerMessages | null = null;
  private directSub: Subscription | null = null;
  private stopped = false;

  /**
   * `setUp()`: sets the streams up again (the consumer went); `onMessage(m)`: each message, checked.
   */
  constructor(
    private readonly link: Link,
    private readonly names: Names,
    private readonly config: BridgeConfig,
    private readonly log: Logger,
    private readonly setUp: () => Promise<void>,
    private readonly onMessage: (m: Incoming) => void,
  ) {}

  /** Reads this node's stream and its core NATS subject (once the connection is set up). */
  start(): void {
    void this.keepConsuming();
    this.directSub = this.link.nc!.subscribe(this.names.directSubjects, {
      callback: (err, msg) => { if (!err) this.take(msg.subject, msg.data, msg.headers, null); },
    });
  }

  /**
   * Takes no more messages (shutdown: what is not taken stays in the stream for the next start).
   * Called again as the bridge closes, for a consume or a subscription that began meanwhile.
   */
  stop(): void {
    this.stopped = true;
    this.consumerMessages?.stop();
    this.directSub?.unsubscribe();
    this.directSub = null;
  }

  /**
   * Reads this node's stream for as long as the bridge is open: if the consumer goes (deleted, or
   * the server came back with an empty store), the streams are set up again and it starts over.
   */
  private async keepConsuming(): Promise<void> {
    for (let attempt = 0; !this.link.closing && !this.stopped; attempt++) {
      try {
        const consumer = await this.link.js!.consumers.get(this.names.nodeStream, this.names.consumer);
        const messages = await consumer.consume({ max_messages: 256 });
        this.consumerMessages = messages;
        attempt = 0;
        for await (const m of messages) this.take(m.subject, m.data, m.headers, m);
      } catch (err) {
        if (this.link.closing || this.stopped) return;
        this.log.warn({ err: (err as Error).message }, 'NATS: this node\'s consumer stopped; setting up again');
      }
      if (this.link.closing || this.stopped) return;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))).unref());
      await this.setUp().catch(() => {});
    }
  }

  /** Checks what came and hands it on. Never throws: bad input is reported as bad. */
  private take(subject: string, data: Uint8Array, hdrs: MsgHdrs | undefined, m: JsMsg | null): void {
    const from = subject.slice(subject.lastIndexOf('.') + 1);
    // A stream message always gets an id (one published without Nats-Msg-Id: its stream sequence),
    // so it is deduplicated and acked like any other.
    const msgId = hdrs?.get('Nats-Msg-Id') || (m ? `${from}.js.${m.seq}` : null);
    const max = this.config.maxPayloadBytes;
    if (m !== null) {
      // A stream message holds exactly one envelope (frames are for core NATS only).
      const d = data.length > max ? null : decodePayload(data);
      if (d === null) this.hand(subject, from, null, 'oversized', data, msgId, m);
      else if (d.bad === null && d.envelopes.length === 1) this.hand(subject, from, d.envelopes[0]!, null, data, msgId, m);
      else this.hand(subject, from, null, d.bad ?? 'bad-message', data, msgId, m);
      return;
    }
    // Core NATS: one envelope, or a frame of several (outbox.ts), each on its own; the size
    // limit is each one's (the server's max_payload bounds the frame).
    const d = decodePayload(data);
    const first = d.envelopes[0];
    if (first !== undefined && first.n !== from) {
      // The header claims another node: the whole payload is spoofed (one dead letter, not one per envelope).
      this.hand(subject, from, first, null, data, null, null);
      return;
    }
    for (const env of d.envelopes) {
      if (env.m.length > max) this.hand(subject, from, null, 'oversized', env.m, null, null);
      else this.hand(subject, from, env, null, data, null, null);
    }
    if (d.bad !== null) this.hand(subject, from, null, d.bad, data, null, null);
  }

  private hand(subject: string, from: string, env: Envelope | null, bad: WireFault | null, data: Uint8Array, msgId: string | null, m: JsMsg | null): void {
    // The sender is the subject's: a payload that claims another node, or an id of another's, is spoofed.
    if (env !== null && (env.n !== from || (msgId !== null && !msgId.startsWith(`${from}.`)))) bad = 'spoofed';
    const deliveries = m ? m.info.deliveryCount : 1;
    const incoming: Incoming = m === null
      ? { from, jetstream: false, env, bad, raw: data, msgId, deliveries, last: true, ack: noop, retry: noop, working: noop }
      : {
        from, jetstream: true, env, bad, raw: data, msgId, deliveries, last: deliveries >= this.config.maxDeliver,
        ack: () => m.ack(),
        retry: (delayMs) => m.nak(delayMs),
        working: () => m.working(),
      };
    try {
      this.onMessage(incoming);
    } catch (err) {
      this.log.error({ err, subject }, 'NATS bridge: a message could not be handled; acked and dropped');
      incoming.ack();
    }
  }
}

const noop = () => {};
