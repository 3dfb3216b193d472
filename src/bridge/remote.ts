/**
 * Messages between nodes, on main: what a remote ref's tell/ask becomes on the wire, and what a
 * message from the wire becomes here. The connection (connection.ts), the outbox and the inbox move
 * the bytes.
 *
 * Counting, per node. Sending: a remote message counts as sent by the thread that sent it,
 * queued while it waits in the outbox, processed once its node's stream has stored it (or
 * dead-lettered: `outbox-full`). Receiving: a message from the wire counts as sent by main here,
 * then ends like any local message (processed, dead-lettered, or handed back for redelivery:
 * `returned`). So on every node: sent = processed + deadLettered + queued + returned.
 *
 * At-least-once: a tell from the wire reaches its actor with a receipt. The stream message is
 * acked when the handler is done (or the message was dead-lettered here), nak'd with a backoff
 * delay when it failed or could not be taken now, and on its last delivery a failure
 * dead-letters it. Ids of messages done with are kept (bounded): a redelivery of one of them
 * (say, after an ack was lost with the server) is acked and dropped, so its handler does not run
 * twice. An ask is acked when its reply has been sent.
 *
 * Senders on other nodes appear to actors as refs to small proxies on main (`@0.<id>`): a tell or
 * ask to one goes back over the wire.
 *
 * Runs of a node. Every message carries the incarnation of its target's node as the sender knows
 * it, and the target's exposed name if it has one (a ref's path `/user/<name>`). Mail for an
 * earlier run of this node goes by name, or nowhere (runs.ts). A reply for an ask of an earlier
 * run is dead-lettered `late-reply`.
 *
 * Out of room: a message past a full outbox is dead-lettered `outbox-full` (an ask rejects with
 * ERR_TROUPE_NODE_UNREACHABLE); only a message that cannot be sent at all (not encodable, too
 * large) throws at a `tell` from main.
 */
import type { ActorRef } from '../actors/ref.js';
import { TroupeError, toWireError, type WireError } from '../actors/errors.js';
import { ASK_TABLE, K_ASK, K_REPLY, K_REPLY_ERROR, K_TELL, K_TELL_LAST, K_TELL_RECEIPT, MAIN_THREAD, R_DEAD_LETTERED, R_PROCESSED } from '../runtime/constants.js';
import type { NodeBridge, NodeHost, RemoteTarget } from '../runtime/node-port.js';
import type { DeadLetterWire, RemoteSend } from '../runtime/protocol.js';
import { Backstop } from './backstop.js';
import { isNodeId, names, type BridgeConfig, type Names } from './config.js';
import { Connection } from './connection.js';
import { DlqStore } from './dlq-store.js';
import { W_ASK, W_REPLY, W_REPLY_ERROR, W_TELL, encodeEnvelope, payloadHeader } from './envelope.js';
import { ErrorStream } from './error-stream.js';
import { Inbox } from './inbox.js';
import type { Incoming } from './incoming.js';
import { MsgIds } from './msg-ids.js';
import { NameRegistry, exposedNameOf, type ExposedName } from './names.js';
import { Outbox } from './outbox.js';
import { Peers } from './peers.js';
import { EarlierRuns } from './runs.js';

export type { RemoteTarget } from '../runtime/node-port.js';

/** Sets key → value, dropping the oldest entry past `max`. */
function bounded<K, V>(map: Map<K, V>, key: K, value: V, max = 100_000): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

function boundedSet<K>(set: Set<K>, key: K, max = 100_000): void {
  set.delete(key);
  set.add(key);
  if (set.size > max) set.delete(set.values().next().value as K);
}

/** Who sent a message from the wire, as a dead letter names it. */
function senderOf(m: Incoming): string {
  const f = m.env?.f;
  return f ? `${m.from}:${f[2]}` : `node ${m.from}`;
}

const PROCESSED_WINDOW = 100_000;
const MAX_PROXIES = 100_000;

export class Remote implements NodeBridge {
  readonly node: string;
  /** This run of the node (config.ts). */
  readonly incarnation: number;
  /** Names of this node's streams and subjects (config.ts). */
  private readonly names: Names;
  /** This node's payload header (envelope.ts). */
  private readonly header: Uint8Array;
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly ids: MsgIds;
  private readonly inbox: Inbox;
  private readonly backstop: Backstop;
  /** Exposed names of every node, and this node's in the KV bucket. */
  private readonly exposedNames: NameRegistry;
  /** Where mail for an earlier run of this node goes (by name), and mail held for names to come. */
  private readonly runs: EarlierRuns;
  private readonly peers: Peers;
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
  /** Asks this node sent to other nodes (`<thread>:<corr>` → node): only that node may answer. */
  private readonly asking = new Map<string, string>();
  /** Local actors that wrote to a node (`<node>|<thread>.<id>`): that node may write back. */
  private readonly contacted = new Set<string>();
  /** Node ids already checked to be subject tokens. */
  private readonly nodeIds = new Set<string>();
  private readonly workingTimer: ReturnType<typeof setInterval>;
  private readonly proxies = new Map<number, ActorRef>();
  private readonly proxyIds = new Map<string, number>();
  private nextProxy = 1;
  /** This node's dead letters in the DLQ stream, and replays out of it. */
  private readonly dlq: DlqStore;

  constructor(private readonly config: BridgeConfig, private readonly sys: NodeHost) {
    this.node = config.node;
    this.incarnation = config.incarnation;
    this.names = names(config.prefix, config.node);
    this.header = payloadHeader(config.node, config.incarnation);
    const log = sys.log;
    this.connection = new Connection(config, this.names, log, {
      connected: (up) => {
        if (up) this.runs.started();
        sys.onConnected(up);
      },
      ready: async (kv) => {
        this.outbox.flush();
        this.inbox.start();
        this.backstop.start();
        await this.exposedNames.attach(kv);
      },
      reconnected: () => {
        this.outbox.flush();
        void this.exposedNames.refresh();
      },
    });
    this.exposedNames = new NameRegistry(config.node, config.incarnation, log, () => this.connection.connected,
      (holder) => this.connection.holds(holder), (name, holder) => {
        this.runs.unexposed(name);
        sys.onNameLost(name, holder);
      });
    this.outbox = new Outbox(this.connection, config, this.header.length, log);
    this.ids = new MsgIds(config.node);
    this.inbox = new Inbox(this.connection, this.names, config, log, () => this.connection.setUp(), (m) => this.onMessage(m));
    this.backstop = new Backstop(this.connection, this.names, log);
    this.runs = new EarlierRuns(config.node, config.backlogGraceMs, config.retryMs, (deliveries) => this.redispatch(deliveries));
    this.peers = new Peers(sys.healthWindowMs, (node) => this.connection.ping(node));
    this.dlq = new DlqStore(config, sys, this.connection, this.outbox, this.ids, this.names, this.header, this.exposedNames);
    // Long handlers, and mail held for a name: tell JetStream we are still on it, so it does not redeliver meanwhile.
    this.workingTimer = setInterval(() => {
      for (const deliveries of this.inProgress.values()) deliveries[deliveries.length - 1]!.working();
      for (const m of this.runs.held()) m.working();
    }, Math.max(100, Math.floor(config.ackWaitMs / 3)));
    this.workingTimer.unref();
  }

  async start(): Promise<void> {
    this.dlq.start();
    this.sys.useStores(this.dlq, new ErrorStream(this.connection, this.outbox, this.names, this.sys.log));
    await this.connection.start();
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends `msg` to an actor on another node. From main, a message that cannot be sent at all
   * (unencodable, too large, a bad node id) throws before anything is counted; from a host
   * (`fromHost`), it is dead-lettered instead. No room in the outbox is not the sender's mistake:
   * the message is dead-lettered `outbox-full` (and an ask rejected) either way.
   */
  send(to: RemoteTarget, msg: unknown, fromThread: number, fromId: number, corr: number,
    timeoutMs: number | undefined, atMostOnce: boolean, fromHost: boolean): void {
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
      }, this.sys.encode(msg));
      if (data.length > this.config.maxPayloadBytes) {
        problem = new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `message of ${data.length} bytes is over nats.maxPayloadBytes (${this.config.maxPayloadBytes}) for a remote actor`);
      } else if (!this.outbox.hasRoom) {
        problem = new TroupeError('ERR_TROUPE_NODE_UNREACHABLE', `the outbox to other nodes is full (${this.config.outboxCapacity}): NATS is unreachable, or slower than this burst of at-least-once sends; raise nats.outboxCapacity or send in smaller bursts`);
      }
    } catch (err) {
      if (!fromHost) throw err;
      problem = err as TroupeError;
      data = new Uint8Array(0);
    }
    if (problem !== null) {
      const full = problem.code === 'ERR_TROUPE_NODE_UNREACHABLE';
      if (!fromHost && !full) throw problem;
      this.sys.deadLetter({ reason: full ? 'outbox-full' : 'unencodable', target: `${to.node}:${to.path}`,
        sender: f ? f[2] : null, message: msg, error: toWireError(problem), time: Date.now() });
      if (corr !== 0) this.replyLocal(fromThread, corr, K_REPLY_ERROR, toWireError(problem));
      return;
    }
    if (corr !== 0) bounded(this.asking, `${fromThread}:${corr}`, to.node);
    if (fromId !== 0) boundedSet(this.contacted, `${to.node}|${fromThread}.${fromId}`);
    if (to.node !== this.node) this.peers.sentTo(to.node);
    this.enqueue(to.node, data!, atMostOnce, to.path, msg);
  }

  /**
   * Into the outbox: queued until its node's stream has it, or (at-most-once) until the server
   * confirmed it has it (outbox.ts); a message that could not leave is dead-lettered
   * `node-unreachable`. (`path`: the target's, for a dead letter.)
   */
  private enqueue(node: string, data: Uint8Array, atMostOnce: boolean, path: string, msg: unknown): void {
    const ledger = this.sys.ledger;
    ledger.queued();
    const subject = atMostOnce ? this.names.direct(node, this.node) : this.names.toNode(node, this.node);
    this.outbox.publish(subject, data, { msgId: atMostOnce ? null : this.ids.next(node), core: atMostOnce }, (ok, err) => {
      ledger.queued(-1);
      if (ok) { ledger.processed(); return; }
      this.sys.deadLetter({ reason: 'node-unreachable', target: `${node}:${path}`, sender: null, message: msg,
        error: toWireError(err ?? new Error('not sent')), time: Date.now() });
    });
  }

  /** A message a host sent toward another node (K_REMOTE). */
  fromHost(fromThread: number, fromId: number, corr: number, s: RemoteSend): void {
    this.send(s, s.msg, fromThread, fromId, corr, s.timeoutMs, s.atMostOnce === true, true);
  }

  /** Mail to a proxy on main (`@0.<id>`): it goes on to the remote actor the proxy stands for. */
  toProxy(proxy: number, fromThread: number, fromId: number, corr: number, msg: unknown): boolean {
    const ref = this.proxies.get(proxy);
    if (ref === undefined) return false;
    this.send({ node: ref.node!, incarnation: ref.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, msg, fromThread, fromId, corr, undefined, false, true);
    return true;
  }

  /** The proxy on main for a sending actor of another node's run. */
  private proxyFor(node: string, incarnation: number, f: [number, number, string]): number {
    const key = `${node}|${incarnation}|${f[0]}|${f[1]}`;
    let id = this.proxyIds.get(key);
    if (id === undefined) {
      id = this.nextProxy++;
      this.proxyIds.set(key, id);
      this.proxies.set(id, this.sys.ref(f[2], f[0], f[1], node, incarnation === 0 ? undefined : incarnation));
      if (this.proxies.size > MAX_PROXIES) {
        const [oldest] = this.proxies.keys();
        const old = this.proxies.get(oldest!)!;
        this.proxies.delete(oldest!);
        this.proxyIds.delete(`${old.node}|${old.incarnation ?? 0}|${old.thread}|${old.id}`);
      }
    }
    return id;
  }

  /** A reply for an ask that came from `node` (its run `incarnation`), the way the ask came (at-most-once: core NATS). */
  private sendReply(node: string, incarnation: number, thread: number, corr: number, kind: number, value: unknown, atMostOnce: boolean): void {
    let bytes: Uint8Array;
    try {
      bytes = this.sys.encode(value);
    } catch (err) {
      kind = W_REPLY_ERROR;
      bytes = this.sys.encode(toWireError(err));
    }
    const data = encodeEnvelope(this.header, { k: kind, f: null, t: [thread, corr], ti: incarnation, tn: null, c: 0 }, bytes);
    this.sys.ledger.sent();
    if (!this.outbox.hasRoom) {
      this.sys.deadLetter({ reason: 'outbox-full', target: `${node}:ask #${corr}`, sender: null, message: value, time: Date.now() });
      return;
    }
    this.enqueue(node, data, atMostOnce, `ask #${corr}`, value);
  }

  /** Settles ask `corr` of local thread `thread` (main's table, or a host's over the ring). */
  private replyLocal(thread: number, corr: number, kind: number, value: unknown): void {
    this.replyLocalEncoded(thread, corr, kind, new Uint8Array(this.sys.encode(value)));
  }

  /** The same, with the reply as its node encoded it. */
  private replyLocalEncoded(thread: number, corr: number, kind: number, bytes: Uint8Array): void {
    this.sys.ledger.sent();
    if (thread === MAIN_THREAD) {
      let value: unknown;
      try {
        value = this.decode(bytes);
      } catch (err) {
        kind = K_REPLY_ERROR;
        value = toWireError(err);
      }
      this.sys.settleAsk(corr, kind, value);
      return;
    }
    if (!this.sys.hostExists(thread)) {
      this.sys.deadLetter({ reason: 'no-such-actor', target: `@${thread}.ask #${corr}`, sender: null, message: this.describe(bytes), time: Date.now() });
      return;
    }
    this.sys.post(thread, ASK_TABLE, 0, corr, kind, bytes);
  }

  private decode(bytes: Uint8Array): unknown {
    return this.sys.decode(bytes);
  }

  /** A message's bytes as a dead letter shows it: decoded, or a description if they do not decode. */
  private describe(bytes: Uint8Array): unknown {
    try { return this.decode(bytes); } catch { return `[${bytes.length} bytes that do not decode]`; }
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  private onMessage(m: Incoming): void {
    const env = m.env;
    // Bad input first: a spoofed or broken message must not mark any id as done.
    if (m.bad !== null || env === null) {
      this.wireDeadLetter(m, m.bad ?? 'bad-message', `node ${this.node}`, null);
      return;
    }
    this.peers.heardFrom(m.from);
    const key = this.keyOf(m);
    if (key !== null) {
      if (this.processed.has(key)) { m.ack(); return; } // done with it already: a redelivery
      const again = this.inProgress.get(key);
      if (again !== undefined) { again.push(m); return; } // still being handled: settled with the first
    }
    const sender = senderOf(m);
    if (env.k === W_REPLY || env.k === W_REPLY_ERROR) {
      // Only the node that was asked may answer.
      const asked = `${env.t[0]}:${env.t[1]}`;
      if (this.asking.get(asked) !== m.from) {
        this.wireDeadLetter(m, 'unexpected-reply', `ask #${env.t[1]}`, sender);
        return;
      }
      if (env.ti !== this.incarnation) {
        // For an ask of this node's earlier run (whose numbers this run may use again).
        this.wireDeadLetter(m, 'late-reply', `ask #${env.t[1]}`, sender);
        return;
      }
      this.asking.delete(asked);
      this.replyLocalEncoded(env.t[0], env.t[1], env.k === W_REPLY ? K_REPLY : K_REPLY_ERROR, env.m);
      this.done(m);
      return;
    }
    let [thread, id] = env.t;
    if (env.ti !== this.incarnation) {
      // Mail for an earlier run of this node: by name, never by its address (another actor's now).
      const r = this.runs.route(m, env, key);
      if ('dead' in r) { this.wireDeadLetter(m, r.dead, r.target, sender, r.error); return; }
      if ('retryMs' in r) { m.retry(r.retryMs); return; }
      if ('held' in r) return;
      thread = r.to.thread;
      id = r.to.id;
    } else if (m.from !== this.node && !this.sys.isExposed(thread, id) && !this.contacted.has(`${m.from}|${thread}.${id}`)) {
      const target = `@${thread}.${id}`;
      this.wireDeadLetter(m, 'not-exposed', target, sender, new TroupeError('ERR_TROUPE_NOT_EXPOSED', `${target} on node ${this.node} is not exposed to other nodes`));
      return;
    }
    const target = `@${thread}.${id}`;
    if (!this.sys.hostExists(thread)) {
      this.wireDeadLetter(m, 'no-such-actor', target, sender, new TroupeError('ERR_TROUPE_ACTOR_NOT_FOUND', `no live actor ${target} on node ${this.node}`));
      return;
    }
    const proxy = env.f ? this.proxyFor(m.from, env.ni, env.f) : 0;
    this.sys.ledger.sent();
    if (env.k === W_ASK) {
      const replyThread = env.f ? env.f[0] : MAIN_THREAD;
      const { corr, promise } = this.sys.openAsk(target, env.ms ?? 30_000);
      if (key !== null) this.inProgress.set(key, [m]);
      this.sys.post(thread, id, proxy, corr, K_ASK, env.m);
      // The asker's own timeout decides; a reply that comes too late there is dead-lettered there.
      const atMostOnce = !m.jetstream;
      promise.then(
        (v) => this.sendReply(m.from, env.ni, replyThread, env.c, W_REPLY, v, atMostOnce),
        (e) => this.sendReply(m.from, env.ni, replyThread, env.c, W_REPLY_ERROR, toWireError(e), atMostOnce),
      ).finally(() => this.done(m));
      return;
    }
    if (!m.jetstream || key === null) {
      // At-most-once: no receipt, nothing to ack.
      this.sys.post(thread, id, proxy, 0, K_TELL, env.m);
      return;
    }
    let receipt = this.nextReceipt;
    while (this.receipts.has(receipt)) receipt = receipt >= 0xffffffff ? 1 : receipt + 1;
    this.nextReceipt = receipt >= 0xffffffff ? 1 : receipt + 1;
    this.receipts.set(receipt, { m, thread });
    this.inProgress.set(key, [m]);
    this.sys.post(thread, id, proxy, receipt, m.last ? K_TELL_LAST : K_TELL_RECEIPT, env.m);
  }

  /**
   * Held mail goes on (its name was exposed, or the grace is over): its newest delivery is
   * handled as if it just came; the others are settled with it.
   */
  private redispatch(deliveries: Incoming[]): void {
    const newest = deliveries[deliveries.length - 1]!;
    this.onMessage(newest);
    if (deliveries.length === 1) return;
    const key = this.keyOf(newest);
    const older = deliveries.slice(0, -1);
    const now = key !== null ? this.inProgress.get(key) : undefined;
    if (now !== undefined) now.unshift(...older);
    else for (const d of older) d.ack();
  }

  /** Dedupe key: the sending node and its msg id (a node cannot mark another's ids as done). */
  private keyOf(m: Incoming): string | null {
    return m.msgId === null ? null : `${m.from}|${m.msgId}`;
  }

  /**
   * Worker `thread` died: tells handed to it that were in its heap will bring no receipt. Their
   * redeliveries (after ack_wait) are handled again, not held back as "in progress". (Those still
   * in its rings reach the replacement and settle as usual.)
   */
  threadDied(thread: number): void {
    for (const { m, thread: t } of this.receipts.values()) {
      if (t !== thread) continue;
      const key = this.keyOf(m);
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
   * Takes no more messages from the wire (shutdown). Held mail goes back to the stream for the
   * next start (at-most-once mail, which has no stream, is dead-lettered `not-exposed`).
   */
  stopReceiving(): void {
    this.inbox.stop();
    for (const deliveries of this.runs.drain()) {
      const m = deliveries[deliveries.length - 1]!;
      if (m.jetstream) m.retry(0);
      else {
        const r = this.runs.notExposed(m.env!.tn!, `node ${this.node} stopped before ${JSON.stringify(m.env!.tn)} was exposed`);
        this.wireDeadLetter(m, r.dead, r.target, senderOf(m), r.error);
      }
    }
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
    const key = this.keyOf(m);
    const deliveries = (key !== null ? this.inProgress.get(key) : undefined) ?? [m];
    if (key !== null) this.inProgress.delete(key);
    // The newest delivery is the one the stream waits on.
    const newest = deliveries[deliveries.length - 1]!;
    if (newest.last) {
      // Redelivered meanwhile up to its last delivery (a handler slower than ack_wait): this
      // failure is its last; dead-letter it here rather than nak it into oblivion.
      this.sys.ledger.sent();
      this.sys.deadLetter({ reason: 'actor-failed', target: `@${entry.thread}.?`, sender: `node ${m.from}`,
        message: newest.env ? this.describe(newest.env.m) : undefined, ...(error ? { error } : {}), time: Date.now() });
      if (key !== null) this.inProgress.set(key, deliveries);
      this.done(m);
      return;
    }
    const delay = Math.min(30_000, this.config.retryMs * 2 ** (newest.deliveries - 1));
    this.sys.log.debug({ msgId: m.msgId, deliveries: newest.deliveries, delay, err: error?.message }, 'remote message failed; redelivery after backoff');
    newest.retry(delay);
  }

  /** Done with a message from the wire: remember it (a redelivery is dropped), ack every delivery of it. */
  private done(m: Incoming): void {
    const key = this.keyOf(m);
    if (key !== null) {
      for (const d of this.inProgress.get(key) ?? []) if (d !== m) d.ack();
      this.inProgress.delete(key);
      boundedSet(this.processed, key, PROCESSED_WINDOW);
    }
    m.ack();
  }

  /** A message from the wire that goes no further: counted (sent and dead-lettered here), acked; an ask is answered. */
  private wireDeadLetter(m: Incoming, reason: string, target: string, sender: string | null, error?: TroupeError): void {
    this.sys.ledger.sent();
    // A payload of another wire version keeps its bytes (a node of that version could read them).
    const message = m.env ? this.describe(m.env.m) : reason === 'unsupported-version' ? m.raw : `[${m.raw.length} bytes from node ${m.from}]`;
    const entry: DeadLetterWire = { reason, target, sender: sender ?? `node ${m.from}`, message, time: Date.now() };
    if (error) entry.error = toWireError(error);
    this.sys.deadLetter(entry);
    // Answer an honest asker (not a spoofer or garbage: those get nothing back).
    if (m.bad === null && m.env !== null && m.env.k === W_ASK && error) {
      this.sendReply(m.from, m.env.ni, m.env.f ? m.env.f[0] : MAIN_THREAD, m.env.c, W_REPLY_ERROR, toWireError(error), !m.jetstream);
    }
    // Acked (it is accounted for) but its id is not remembered: a bad message vouches for nothing.
    if (m.bad === null) this.done(m);
    else m.ack();
  }

  // ------------------------------------------------------------------------------------------
  // Names

  lookup(name: string): ActorRef | undefined {
    const e = this.exposedNames.live(name);
    return e === undefined || e.node === this.node ? undefined : this.refOf(e);
  }

  async resolve(name: string, timeoutMs: number): Promise<ActorRef | undefined> {
    const e = await this.exposedNames.waitFor(name, timeoutMs);
    return e === undefined || e.node === this.node ? undefined : this.refOf(e);
  }

  private refOf(e: ExposedName): ActorRef {
    return this.sys.ref(e.path, e.thread, e.id, e.node, e.incarnation || undefined);
  }

  /**
   * Registers a local actor's name across nodes (names.ts), then hands it the mail held for it.
   * Rejects with ERR_TROUPE_NAME_TAKEN when another running node has the name (unless
   * `replace`). While NATS is unreachable it resolves at once: the name is registered on connect.
   */
  async expose(name: string, ref: ActorRef, replace: boolean): Promise<void> {
    const registered = await this.exposedNames.expose(name,
      { node: this.node, incarnation: this.incarnation, thread: ref.thread, id: ref.id, path: ref.path }, replace);
    if (!registered) this.sys.log.info({ name }, 'exposed name registered once NATS is reachable');
    this.runs.exposed(name, { thread: ref.thread, id: ref.id });
  }

  unexpose(name: string): void {
    this.runs.unexposed(name);
    this.exposedNames.unexpose(name);
  }

  // ------------------------------------------------------------------------------------------

  get connected(): boolean {
    return this.connection.connected;
  }

  /** Whether the server is up but refuses this node's credentials (since it was last connected). */
  get refused(): boolean {
    return this.connection.refused;
  }

  get outboxSize(): number {
    return this.outbox.size;
  }

  /**
   * The bridge's reasons for health to say degraded, beyond NATS being unreachable: another
   * running node has this node's id; the outbox over half full; nodes sent to within the health
   * window but not heard from for 30 s (or the health window, if shorter): no message from them
   * and no answer to a ping (peers.ts).
   */
  healthReasons(): string[] {
    const reasons: string[] = [];
    if (this.connection.idTaken !== null) reasons.push(`${this.connection.idTaken} (ERR_TROUPE_NODE_ID_TAKEN)`);
    const used = this.outbox.used;
    if (used > this.config.outboxCapacity / 2) reasons.push(`the outbox to other nodes is over half full (${used} of ${this.config.outboxCapacity})`);
    for (const { node, ms } of this.peers.unseen()) reasons.push(`node ${node} not heard from for ${Math.round(ms / 1000)} s (sent to within the health window)`);
    return reasons;
  }

  /**
   * Flushes the outbox (bounded: `timeoutMs`, 1 s at most while NATS is unreachable), removes this
   * node's names (those it holds), and closes the connection.
   */
  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.workingTimer);
    this.peers.close();
    this.dlq.close();
    await this.outbox.drained(this.connection.connected ? timeoutMs : Math.min(timeoutMs, 1000));
    this.connection.stop();
    this.inbox.stop();
    this.outbox.stop();
    await this.exposedNames.close();
    // Again: a consume or a subscription that began while the names were removed.
    this.inbox.stop();
    this.backstop.stop();
    this.outbox.failWaiting();
    await this.connection.close();
    // After the connection's last PONG, which may still have confirmed some.
    this.outbox.failUnconfirmed();
    await this.connection.settled();
  }
}
