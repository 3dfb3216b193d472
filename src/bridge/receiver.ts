/**
 * Remote receive: a message from the wire (inbox.ts) to its target here, and its settling with
 * the stream it came from.
 *
 * Checks, in order: bad input (garbage, a wrong version, oversized, spoofed) is dead-lettered
 * with its reason and acked, and marks no id as done; a redelivery of a message done with is
 * acked and dropped; a reply goes to its asker (asks.ts); mail for an earlier run of this node
 * goes by name, or nowhere (runs.ts); mail for an actor that is not exposed (and did not write to
 * that node first) is dead-lettered `not-exposed`. An honest ask that goes no further is
 * answered with its error.
 *
 * At-least-once: a tell reaches its actor with a receipt, and the host says how it ended
 * (K_RECEIPT). The stream message is acked when the handler is done (or the message was
 * dead-lettered there), nak'd with a backoff delay (`retryMs * 2^(n-1)`, at most 30 s) when it
 * failed, and on its last delivery a failure dead-letters it. An ask is acked when its reply has
 * been sent. Ids of messages done with are kept (bounded: PROCESSED_WINDOW), so a redelivery of
 * one (say, after an ack was lost with the server) does not run its handler twice; a redelivery
 * of one still being handled joins it and is settled with it. While a message is handled (or held
 * for its name), JetStream is told every ack_wait / 3 that we are still on it.
 *
 * Counting: a message from the wire counts as sent by main here, then ends like any local
 * message: processed, dead-lettered, or handed back for redelivery (`returned`).
 */
import { TroupeError, toWireError, type WireError } from '../actors/errors.js';
import { K_ASK, K_TELL, K_TELL_LAST, K_TELL_RECEIPT, MAIN_THREAD, R_DEAD_LETTERED, R_PROCESSED } from '../runtime/constants.js';
import type { NodeHost } from '../runtime/node-port.js';
import type { DeadLetterWire } from '../runtime/protocol.js';
import type { Asks } from './asks.js';
import { boundedSet } from './bounded.js';
import type { BridgeConfig } from './config.js';
import { W_ASK, W_REPLY, W_REPLY_ERROR } from './envelope.js';
import { describe, type Incoming } from './incoming.js';
import type { Peers } from './peers.js';
import type { Proxies } from './proxies.js';
import type { EarlierRuns } from './runs.js';
import type { Sender } from './sender.js';
import type { DeadLetterReason } from '../actors/dead-letter-reasons.js';

/** Ids of messages done with, kept to drop their redeliveries. */
const PROCESSED_WINDOW = 100_000;

export class Receiver {
  /** Tells handed to an actor, by receipt id, and the worker they went to. */
  private readonly receipts = new Map<number, { m: Incoming; thread: number }>();
  private nextReceipt = 1;
  /** Messages done with (`<from>|<msg id>`), oldest first (bounded). */
  private readonly processed = new Set<string>();
  /**
   * Messages being handled now, with every delivery of each (the first, then redeliveries that
   * came meanwhile, after a server restart say): all are settled together, none waits out its
   * ack_wait, and the newest is the one the stream waits on.
   */
  private readonly inProgress = new Map<string, Incoming[]>();
  private readonly workingTimer: ReturnType<typeof setInterval>;

  constructor(
    private readonly config: BridgeConfig,
    private readonly host: Pick<NodeHost, 'log' | 'ledger' | 'decode' | 'deadLetter' | 'isExposed' | 'hostExists' | 'openAsk' | 'post'>,
    private readonly runs: Pick<EarlierRuns, 'route' | 'held' | 'drain' | 'notExposed'>,
    private readonly peers: Pick<Peers, 'heardFrom'>,
    private readonly proxies: Pick<Proxies, 'idFor'>,
    private readonly asks: Pick<Asks, 'answer'>,
    private readonly sender: Pick<Sender, 'reply' | 'wroteTo'>,
  ) {
    // Long handlers, and mail held for a name: tell JetStream we are still on it, so it does not redeliver meanwhile.
    this.workingTimer = setInterval(() => {
      for (const deliveries of this.inProgress.values()) deliveries[deliveries.length - 1]!.working();
      for (const m of this.runs.held()) m.working();
    }, Math.max(100, Math.floor(config.ackWaitMs / 3)));
    this.workingTimer.unref();
  }

  /** A message from the wire (inbox.ts). */
  onMessage(m: Incoming): void {
    const { node, incarnation } = this.config;
    const sys = this.host;
    const env = m.env;
    // Bad input first: a spoofed or broken message must not mark any id as done.
    if (m.bad !== null || env === null) {
      this.wireDeadLetter(m, m.bad ?? 'bad-message', `node ${node}`, null);
      return;
    }
    this.peers.heardFrom(m.from);
    const key = keyOf(m);
    if (key !== null) {
      if (this.processed.has(key)) { m.ack(); return; } // done with it already: a redelivery
      const again = this.inProgress.get(key);
      if (again !== undefined) { again.push(m); return; } // still being handled: settled with the first
    }
    const sender = senderOf(m);
    if (env.k === W_REPLY || env.k === W_REPLY_ERROR) {
      // Only the node that was asked may answer.
      const why = this.asks.answer(m.from, env);
      if (why !== null) {
        this.wireDeadLetter(m, why, `ask #${env.t[1]}`, sender);
        return;
      }
      this.done(m);
      return;
    }
    let [thread, id] = env.t;
    if (env.ti !== incarnation) {
      // Mail for an earlier run of this node: by name, never by its address (another actor's now).
      const r = this.runs.route(m, env, key);
      if ('dead' in r) { this.wireDeadLetter(m, r.dead, r.target, sender, r.error); return; }
      if ('retryMs' in r) { m.retry(r.retryMs); return; }
      if ('held' in r) return;
      thread = r.to.thread;
      id = r.to.id;
    } else if (m.from !== node && !sys.isExposed(thread, id) && !this.sender.wroteTo(m.from, thread, id)) {
      const target = `@${thread}.${id}`;
      this.wireDeadLetter(m, 'not-exposed', target, sender, new TroupeError('ERR_TROUPE_NOT_EXPOSED', `${target} on node ${node} is not exposed to other nodes`));
      return;
    }
    const target = `@${thread}.${id}`;
    if (!sys.hostExists(thread)) {
      this.wireDeadLetter(m, 'no-such-actor', target, sender, new TroupeError('ERR_TROUPE_ACTOR_NOT_FOUND', `no live actor ${target} on node ${node}`));
      return;
    }
    const proxy = env.f ? this.proxies.idFor(m.from, env.ni, env.f) : 0;
    sys.ledger.sent();
    if (env.k === W_ASK) {
      const replyThread = env.f ? env.f[0] : MAIN_THREAD;
      const { corr, promise } = sys.openAsk(target, env.ms ?? 30_000);
      if (key !== null) this.inProgress.set(key, [m]);
      sys.post(thread, id, proxy, corr, K_ASK, env.m);
      // The asker's own timeout decides; a reply that comes too late there is dead-lettered there.
      const atMostOnce = !m.jetstream;
      promise.then(
        (v) => this.sender.reply(m.from, env.ni, replyThread, env.c, W_REPLY, v, atMostOnce),
        (e) => this.sender.reply(m.from, env.ni, replyThread, env.c, W_REPLY_ERROR, toWireError(e), atMostOnce),
      ).finally(() => this.done(m));
      return;
    }
    if (!m.jetstream || key === null) {
      // At-most-once: no receipt, nothing to ack.
      sys.post(thread, id, proxy, 0, K_TELL, env.m);
      return;
    }
    let receipt = this.nextReceipt;
    while (this.receipts.has(receipt)) receipt = receipt >= 0xffffffff ? 1 : receipt + 1;
    this.nextReceipt = receipt >= 0xffffffff ? 1 : receipt + 1;
    this.receipts.set(receipt, { m, thread });
    this.inProgress.set(key, [m]);
    sys.post(thread, id, proxy, receipt, m.last ? K_TELL_LAST : K_TELL_RECEIPT, env.m);
  }

  /**
   * Held mail goes on (its name was exposed, or the grace is over: runs.ts): its newest delivery
   * is handled as if it just came; the others are settled with it.
   */
  redispatch(deliveries: Incoming[]): void {
    const newest = deliveries[deliveries.length - 1]!;
    this.onMessage(newest);
    if (deliveries.length === 1) return;
    const key = keyOf(newest);
    const older = deliveries.slice(0, -1);
    const now = key !== null ? this.inProgress.get(key) : undefined;
    if (now !== undefined) now.unshift(...older);
    else for (const d of older) d.ack();
  }

  /** A host says how a receipted tell ended (K_RECEIPT). */
  onReceipt(receipt: number, outcome: number, error: WireError | null): void {
    const entry = this.receipts.get(receipt);
    if (entry === undefined) return;
    this.receipts.delete(receipt);
    const m = entry.m;
    if (outcome === R_PROCESSED || outcome === R_DEAD_LETTERED) {
      this.done(m);
      return;
    }
    const key = keyOf(m);
    const deliveries = (key !== null ? this.inProgress.get(key) : undefined) ?? [m];
    if (key !== null) this.inProgress.delete(key);
    // The newest delivery is the one the stream waits on.
    const newest = deliveries[deliveries.length - 1]!;
    if (newest.last) {
      // Redelivered meanwhile up to its last delivery (a handler slower than ack_wait): this
      // failure is its last; dead-letter it here rather than nak it into oblivion.
      this.host.ledger.sent();
      this.host.deadLetter({ reason: 'actor-failed', target: `@${entry.thread}.?`, sender: `node ${m.from}`,
        message: newest.env ? describe(newest.env.m, (b) => this.host.decode(b)) : undefined, ...(error ? { error } : {}), time: Date.now() });
      if (key !== null) this.inProgress.set(key, deliveries);
      this.done(m);
      return;
    }
    const delay = Math.min(30_000, this.config.retryMs * 2 ** (newest.deliveries - 1));
    this.host.log.debug({ msgId: m.msgId, deliveries: newest.deliveries, delay, err: error?.message }, 'remote message failed; redelivery after backoff');
    newest.retry(delay);
  }

  /**
   * Worker `thread` died: tells handed to it that were in its heap will bring no receipt. Their
   * redeliveries (after ack_wait) are handled again, not held back as "in progress". (Those still
   * in its rings reach the replacement and settle as usual.)
   */
  threadDied(thread: number): void {
    for (const { m, thread: t } of this.receipts.values()) {
      if (t !== thread) continue;
      const key = keyOf(m);
      if (key !== null) this.inProgress.delete(key);
    }
  }

  /**
   * The tell with this receipt was running when its worker died (it is dead-lettered there): done
   * with it, so JetStream does not redeliver it to take the next worker down too.
   */
  culpritDied(receipt: number): void {
    const entry = this.receipts.get(receipt);
    if (entry === undefined) return;
    this.receipts.delete(receipt);
    this.done(entry.m);
  }

  /**
   * This node takes no more messages (shutdown): held mail goes back to the stream for the next
   * start (at-most-once mail, which has no stream, is dead-lettered `not-exposed`).
   */
  stop(): void {
    for (const deliveries of this.runs.drain()) {
      const m = deliveries[deliveries.length - 1]!;
      if (m.jetstream) m.retry(0);
      else {
        const r = this.runs.notExposed(m.env!.tn!, `node ${this.config.node} stopped before ${JSON.stringify(m.env!.tn)} was exposed`);
        this.wireDeadLetter(m, r.dead, r.target, senderOf(m), r.error);
      }
    }
  }

  /** Stops telling JetStream we are still on what is in progress (the bridge closes). */
  close(): void {
    clearInterval(this.workingTimer);
  }

  /** Done with a message from the wire: remember it (a redelivery is dropped), ack every delivery of it. */
  private done(m: Incoming): void {
    const key = keyOf(m);
    if (key !== null) {
      for (const d of this.inProgress.get(key) ?? []) if (d !== m) d.ack();
      this.inProgress.delete(key);
      boundedSet(this.processed, key, PROCESSED_WINDOW);
    }
    m.ack();
  }

  /** A message from the wire that goes no further: counted (sent and dead-lettered here), acked; an ask is answered. */
  private wireDeadLetter(m: Incoming, reason: DeadLetterReason, target: string, sender: string | null, error?: TroupeError): void {
    this.host.ledger.sent();
    // A payload of another wire version keeps its bytes (a node of that version could read them).
    const message = m.env ? describe(m.env.m, (b) => this.host.decode(b)) : reason === 'unsupported-version' ? m.raw : `[${m.raw.length} bytes from node ${m.from}]`;
    const entry: DeadLetterWire = { reason, target, sender: sender ?? `node ${m.from}`, message, time: Date.now() };
    if (error) entry.error = toWireError(error);
    this.host.deadLetter(entry);
    // Answer an honest asker (not a spoofer or garbage: those get nothing back).
    if (m.bad === null && m.env !== null && m.env.k === W_ASK && error) {
      this.sender.reply(m.from, m.env.ni, m.env.f ? m.env.f[0] : MAIN_THREAD, m.env.c, W_REPLY_ERROR, toWireError(error), !m.jetstream);
    }
    // Acked (it is accounted for) but its id is not remembered: a bad message vouches for nothing.
    if (m.bad === null) this.done(m);
    else m.ack();
  }
}

/** Dedupe key: the sending node and its msg id (a node cannot mark another's ids as done). */
function keyOf(m: Incoming): string | null {
  return m.msgId === null ? null : `${m.from}|${m.msgId}`;
}

/** Who sent a message from the wire, as a dead letter names it. */
function senderOf(m: Incoming): string {
  const f = m.env?.f;
  return f ? `${m.from}:${f[2]}` : `node ${m.from}`;
}
