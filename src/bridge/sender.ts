/**
 * Remote send: a message of this node for an actor on another node, onto the wire. A tell or ask
 * from main or a host (through a remote ref, or a proxy of another node's actor: proxies.ts), and
 * a reply to an ask that came from another node.
 *
 * Each is an envelope (envelope.ts) in this node's payload, carrying the target's node run as the
 * sender knows it and its exposed name if it has one (a ref's path `/user/<name>`): mail for an
 * earlier run of that node goes by name (runs.ts). At-least-once goes to the target's stream with
 * a msg id (msg-ids.ts), at-most-once over core NATS; both through the outbox.
 *
 * Counting: a remote message counts as sent by the thread that sent it, queued while it waits in
 * the outbox, then processed once its node's stream has stored it (at-most-once: once the server
 * confirmed it has it), or dead-lettered `node-unreachable` if it could not leave.
 *
 * Out of room: while NATS is unreachable the outbox holds `outboxCapacity` messages, and one past
 * them is dead-lettered `outbox-full`, its ask rejected with ERR_TROUPE_NODE_UNREACHABLE. While
 * connected, the outbox refuses nothing: its senders are slowed instead, like on any path (each
 * sender's path to the outbox, flow.ts; `settled` hands back their credit). Only a message that
 * cannot be sent at all (not encodable, too large, a bad node id) throws, at a `tell` from main.
 * From a host it is dead-lettered `unencodable`.
 */
import { TroupeError, toWireError } from '../actors/errors.js';
import type { NodeHost, RemoteTarget } from '../runtime/node-port.js';
import type { Asks } from './asks.js';
import { boundedSet } from './bounded.js';
import { isNodeId, type BridgeConfig, type Names } from './config.js';
import { W_ASK, W_REPLY_ERROR, W_TELL, encodeEnvelope } from './envelope.js';
import type { MsgIds } from './msg-ids.js';
import { exposedNameOf } from './names.js';
import type { Publisher } from './outbox.js';
import type { Peers } from './peers.js';

export class Sender {
  /** Local actors that wrote to a node (`<node>|<thread>.<id>`): that node may write back. */
  private readonly contacted = new Set<string>();
  /** Node ids already checked to be subject tokens. */
  private readonly nodeIds = new Set<string>();

  /** `header`: this node's payload header (envelope.ts). */
  constructor(
    private readonly config: BridgeConfig,
    private readonly host: Pick<NodeHost, 'ledger' | 'encode' | 'deadLetter'>,
    private readonly outbox: Publisher,
    private readonly ids: MsgIds,
    private readonly names: Names,
    private readonly header: Uint8Array,
    private readonly asks: Pick<Asks, 'sent' | 'fail'>,
    private readonly peers: Pick<Peers, 'sentTo'>,
  ) {}

  /**
   * Sends `msg` to an actor on another node. From main, a message that cannot be sent at all
   * (unencodable, too large, a bad node id) throws before anything is counted; from a host
   * (`fromHost`), it is dead-lettered instead. No room in the outbox is not the sender's mistake:
   * the message is dead-lettered `outbox-full` (and an ask rejected) either way. `settled` is
   * called once the message is published or dead-lettered (not when this throws).
   */
  send(to: RemoteTarget, msg: unknown, fromThread: number, fromId: number, corr: number,
    timeoutMs: number | undefined, atMostOnce: boolean, fromHost: boolean, settled: (() => void) | null): void {
    const f: [number, number, string] | null = fromId !== 0 ? [fromThread, fromId, `@${fromThread}.${fromId}`] : null;
    let data: Uint8Array;
    let problem: TroupeError | null = null;
    if (!this.nodeIds.has(to.node)) {
      if (isNodeId(to.node)) boundedSet(this.nodeIds, to.node, 10_000);
      else problem = new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `not a node id: ${JSON.stringify(to.node)}`);
    }
    if (problem === null) try {
      data = encodeEnvelope(this.header, {
        k: corr !== 0 ? W_ASK : W_TELL, f, t: [to.thread, to.id], ti: to.incarnation ?? 0, tn: exposedNameOf(to.path), c: corr, ms: timeoutMs,
      }, this.host.encode(msg));
      if (data.length > this.config.maxPayloadBytes) {
        problem = new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `message of ${data.length} bytes is over nats.maxPayloadBytes (${this.config.maxPayloadBytes}) for a remote actor`);
      } else if (!this.outbox.hasRoom) {
        problem = new TroupeError('ERR_TROUPE_NODE_UNREACHABLE', `NATS is unreachable and the outbox to other nodes is full (nats.outboxCapacity, ${this.config.outboxCapacity}): raise it to hold more through an outage, or wait for the connection (the 'nats' event)`);
      }
    } catch (err) {
      if (!fromHost) throw err;
      problem = err as TroupeError;
      data = new Uint8Array(0);
    }
    if (problem !== null) {
      const full = problem.code === 'ERR_TROUPE_NODE_UNREACHABLE';
      if (!fromHost && !full) throw problem;
      this.host.deadLetter({ reason: full ? 'outbox-full' : 'unencodable', target: `${to.node}:${to.path}`,
        sender: f ? f[2] : null, message: msg, error: toWireError(problem), time: Date.now() });
      if (corr !== 0) this.asks.fail(fromThread, corr, toWireError(problem));
      settled?.();
      return;
    }
    if (corr !== 0) this.asks.sent(fromThread, corr, to.node);
    if (fromId !== 0) boundedSet(this.contacted, `${to.node}|${fromThread}.${fromId}`);
    if (to.node !== this.config.node) this.peers.sentTo(to.node);
    this.enqueue(to.node, data!, atMostOnce, to.path, msg, settled);
  }

  /**
   * A reply for an ask that came from `node` (its run `incarnation`), to its asking thread and
   * ask `corr` there, the way the ask came (at-most-once: core NATS). A value that cannot be
   * encoded goes as the error saying so.
   */
  reply(node: string, incarnation: number, thread: number, corr: number, kind: number, value: unknown, atMostOnce: boolean): void {
    let bytes: Uint8Array;
    try {
      bytes = this.host.encode(value);
    } catch (err) {
      kind = W_REPLY_ERROR;
      bytes = this.host.encode(toWireError(err));
    }
    const data = encodeEnvelope(this.header, { k: kind, f: null, t: [thread, corr], ti: incarnation, tn: null, c: 0 }, bytes);
    this.host.ledger.sent();
    if (!this.outbox.hasRoom) {
      this.host.deadLetter({ reason: 'outbox-full', target: `${node}:ask #${corr}`, sender: null, message: value, time: Date.now() });
      return;
    }
    this.enqueue(node, data, atMostOnce, `ask #${corr}`, value, null);
  }

  /** Whether local actor (`thread`, `id`) wrote to `node`: that node may write back, exposed or not. */
  wroteTo(node: string, thread: number, id: number): boolean {
    return this.contacted.has(`${node}|${thread}.${id}`);
  }

  /**
   * Into the outbox: queued until its node's stream has it, or (at-most-once) until the server
   * confirmed it has it (outbox.ts); a message that could not leave is dead-lettered
   * `node-unreachable`. (`path`: the target's, for a dead letter.)
   */
  private enqueue(node: string, data: Uint8Array, atMostOnce: boolean, path: string, msg: unknown, settled: (() => void) | null): void {
    const ledger = this.host.ledger;
    ledger.queued();
    const self = this.config.node;
    const subject = atMostOnce ? this.names.direct(node, self) : this.names.toNode(node, self);
    this.outbox.publish(subject, data, { msgId: atMostOnce ? null : this.ids.next(node), core: atMostOnce }, (ok, err) => {
      ledger.queued(-1);
      if (ok) ledger.processed();
      else {
        this.host.deadLetter({ reason: 'node-unreachable', target: `${node}:${path}`, sender: null, message: msg,
          error: toWireError(err ?? new Error('not sent')), time: Date.now() });
      }
      settled?.();
    });
  }
}
